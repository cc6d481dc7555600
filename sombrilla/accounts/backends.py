"""How a session's account is loaded."""

import weakref

from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

from sombrilla.accounts.models import Account


class AccountBackend(ModelBackend):
    """Django's passphrase check unchanged. A logged-in account comes with its membership and organisation in
    the same query: nearly every page reads all three, and a query saved on every request adds up on 2G
    round trips and on a busy database."""

    def get_user(self, user_id):
        user = _account_with_organisation(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class _CompiledAccountQuery:
    """The ORM's query for an account with its membership and organisation, compiled once per database
    connection and run again with each request's account id.

    Compiling this three-table query took longer than the database took to answer it, on every request.
    Rows become models exactly as Django's ModelIterable makes them: the same converters and populators.
    """

    def __init__(self, db_connection):
        queryset = Account._default_manager.select_related("membership__organisation").order_by()
        compiler = queryset.query.get_compiler(connection=db_connection)
        sql, _params = compiler.as_sql()  # no condition yet, so no parameters: the id's is added here
        quote = db_connection.ops.quote_name
        self.sql = f"{sql} WHERE {quote(Account._meta.db_table)}.{quote(Account._meta.pk.column)} = %s"
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.compiler = compiler
        self.converters = compiler.get_converters(fields)
        start, end = compiler.klass_info["select_fields"][0], compiler.klass_info["select_fields"][-1] + 1
        self.own = slice(start, end)
        self.init_list = [column[0].target.attname for column in compiler.select[self.own]]
        self.populators = get_related_populators(compiler.klass_info, compiler.select, db_connection.alias)

    def __call__(self, db_connection, account_id):
        with db_connection.cursor() as cursor:
            cursor.execute(self.sql, [Account._meta.pk.get_db_prep_value(account_id, db_connection)])
            rows = cursor.fetchall()
        if not rows:
            return None
        row = next(iter(self.compiler.apply_converters(rows, self.converters))) if self.converters else rows[0]
        account = Account.from_db(db_connection.alias, self.init_list, row[self.own])
        for populator in self.populators:
            populator.populate(row, account)
        return account


# One per connection object: Django's connections are per thread, and a compiler belongs to its connection.
_compiled: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _account_with_organisation(account_id):
    db_connection = connections[DEFAULT_DB_ALIAS]
    query = _compiled.get(db_connection)
    if query is None:
        query = _compiled[db_connection] = _CompiledAccountQuery(db_connection)
    return query(db_connection, account_id)
