"""How a session's account is loaded."""

from django.contrib.auth.backends import ModelBackend

from sombrilla.accounts.models import Account


class AccountBackend(ModelBackend):
    """Django's passphrase check unchanged. A logged-in account comes with its membership and organisation in
    the same query: nearly every page reads all three, and a query saved on every request adds up on 2G
    round trips and on a busy database."""

    def get_user(self, user_id):
        try:
            user = Account._default_manager.select_related("membership__organisation").get(pk=user_id)
        except Account.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
