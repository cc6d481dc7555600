from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Area, Role


def _passphrase_field(label, *, new: bool) -> forms.CharField:
    """One character over the limit is allowed in, so the validator can say what the limit is."""
    widget = (
        forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True)
        if new
        else forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    return forms.CharField(label=label, max_length=settings.PASSPHRASE_MAX_LENGTH + 1, strip=False, widget=widget)


class JoinForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    pseudonym = forms.CharField(
        label=_("Pseudonym"),
        max_length=32,
        help_text=_("Not your real name, and not a name you use at work or online."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    passphrase = _passphrase_field(_("Passphrase"), new=True)
    passphrase_again = _passphrase_field(_("Passphrase again"), new=True)

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("passphrase_again"):
            self.add_error("passphrase_again", _("The two passphrases are not the same."))
        return data


class LoginForm(forms.Form):
    pseudonym = forms.CharField(
        label=_("Pseudonym"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    passphrase = _passphrase_field(_("Passphrase"), new=False)


class RecoverForm(forms.Form):
    pseudonym = forms.CharField(label=_("Pseudonym"), max_length=64)
    code = forms.CharField(
        label=_("One of your recovery codes"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    passphrase = _passphrase_field(_("New passphrase"), new=True)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PseudonymForm(forms.Form):
    pseudonym = forms.CharField(label=_("New pseudonym"), max_length=32)


class PassphraseForm(forms.Form):
    current = _passphrase_field(_("Current passphrase"), new=False)
    new = _passphrase_field(_("New passphrase"), new=True)


class ConfirmPassphraseForm(forms.Form):
    passphrase = _passphrase_field(_("Your passphrase, to confirm"), new=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    note = forms.CharField(
        label=_("Note for yourself (optional)"),
        max_length=200,
        required=False,
        help_text=_("Do not write a real name or phone number."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Staff note"), max_length=2000, required=False, widget=forms.Textarea)


class AreaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Area.Kind.choices)
    parent = forms.ChoiceField(label=_("Part of"), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—")] + [(str(area.pk), area.name) for area, _depth in areas]


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    about = forms.CharField(
        label=_("About the organisation (public)"), required=False, max_length=4000, widget=forms.Textarea
    )
    how_to_join = forms.CharField(
        label=_("How to join (public)"), required=False, max_length=4000, widget=forms.Textarea
    )
    quick_exit_url = forms.URLField(label=_("Quick exit goes to"), required=False, assume_scheme="https")
    vouch_quota = forms.IntegerField(label=_("Invitations each member may give"), min_value=0, max_value=50)
    invitation_days = forms.IntegerField(label=_("Days an invitation stays valid"), min_value=1, max_value=90)
    default_country = forms.CharField(label=_("Country (two-letter code, e.g. KE)"), max_length=2, required=False)
    shares_with_network = forms.BooleanField(label=_("Share anonymous figures with the network"), required=False)
    screening_daily_limit = forms.IntegerField(
        label=_("Checks before a meeting each member may make a day"), min_value=1, max_value=500
    )
    alert_retention_months = forms.IntegerField(
        label=_("Months an alert about a client stays up"),
        min_value=1,
        max_value=60,
        help_text=_("Then the alert and its reports are deleted for good."),
    )
    police_alert_hours = forms.IntegerField(label=_("Hours a police alert stays up"), min_value=1, max_value=168)
    rights_url = forms.URLField(
        label=_("Where police alerts link for know-your-rights information"), required=False, assume_scheme="https"
    )
    checkin_staff_minutes = forms.IntegerField(
        label=_("Minutes after the buddies before the duty staff are alerted"), min_value=0, max_value=240
    )
    checkin_keep_hours = forms.IntegerField(
        label=_("Hours a plan checked in safe is kept"),
        min_value=1,
        max_value=168,
        help_text=_("Then its details are deleted for good."),
    )
    checkin_retention_days = forms.IntegerField(
        label=_("Days an escalated plan is kept after it is closed"), min_value=1, max_value=365
    )
