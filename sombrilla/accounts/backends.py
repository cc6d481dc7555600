"""How a session's account is loaded."""

import weakref
from contextvars import ContextVar

from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

from sombrilla.accounts.models import Account, Session

# The account the session store read with the session (accounts.sessions), waiting for get_user below.
_read_with_session: ContextVar = ContextVar("sombrilla_account_read_with_session", default=None)


class AccountBackend(ModelBackend):
    """Django's passphrase check unchanged. A logged-in account comes with its membership and organisation in
    the same query: nearly every page reads all three, and a query saved on every request adds up on 2G
    round trips and on a busy database. On a page that query is the session's own (accounts.sessions)."""

    def get_user(self, user_id):
        user = _read_with_session.get()
        _read_with_session.set(None)  # used once: a later call reads the database
        if user is None or user.pk != Account._meta.pk.to_python(user_id):
            user = compiled_query().account(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def remember_read_with_session(account) -> None:
    _read_with_session.set(account)


class _CompiledAccountQuery:
    """The ORM's query for an account with its membership and organisation, compiled once per database
    connection and run again with each request's account id, or with its session.

    Compiling this three-table query took longer than the database took to answer it, on every request.
    Rows become models exactly as Django's ModelIterable makes them: the same converters and populators.
    """

    def __init__(self, db_connection):
        self.connection = db_connection
        queryset = Account._default_manager.select_related("membership__organisation").order_by()
        compiler = queryset.query.get_compiler(connection=db_connection)
        sql, _params = compiler.as_sql()  # no condition yet, so no parameters: each statement adds its own
        quote = db_connection.ops.quote_name
        account_table, session_table = quote(Account._meta.db_table), quote(Session._meta.db_table)
        account_id = f"{account_table}.{quote(Account._meta.pk.column)}"
        self.by_id = f"{sql} WHERE {account_id} = %s"
        # The session's row joined to the account's query: its FROM starts with the account's table.
        columns, joins = sql.removeprefix("SELECT ").split(f" FROM {account_table}", 1)
        self.by_session = (
            f"SELECT {session_table}.{quote('session_data')}, {columns} FROM {session_table} "  # noqa: S608  values are bound
            f"LEFT OUTER JOIN {account_table} ON ({account_id} = {session_table}.{quote('account_id')}){joins} "
            f"WHERE {session_table}.{quote('session_key')} = %s AND {session_table}.{quote('expire_date')} > %s"
        )
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.compiler = compiler
        self.converters = compiler.get_converters(fields)
        start, end = compiler.klass_info["select_fields"][0], compiler.klass_info["select_fields"][-1] + 1
        self.own = slice(start, end)
        self.init_list = [column[0].target.attname for column in compiler.select[self.own]]
        self.populators = get_related_populators(compiler.klass_info, compiler.select, db_connection.alias)

    def account(self, account_id):
        with self.connection.cursor() as cursor:
            cursor.execute(self.by_id, [Account._meta.pk.get_db_prep_value(account_id, self.connection)])
            row = cursor.fetchone()
        return None if row is None else self._model(row)

    def session(self, session_key, now):
        """The session's data and its account (None when it has none), or None for an unknown or expired
        session."""
        with self.connection.cursor() as cursor:
            cursor.execute(self.by_session, [session_key, self.connection.ops.adapt_datetimefield_value(now)])
            row = cursor.fetchone()
        if row is None:
            return None
        account = row[1:]
        return row[0], None if account[self.own.start] is None else self._model(account)

    def _model(self, row):
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        account = Account.from_db(self.connection.alias, self.init_list, row[self.own])
        for populator in self.populators:
            populator.populate(row, account)
        return account


# One per connection object: Django's connections are per thread, and a compiler belongs to its connection.
_compiled: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled_query() -> _CompiledAccountQuery:
    db_connection = connections[DEFAULT_DB_ALIAS]
    query = _compiled.get(db_connection)
    if query is None:
        query = _compiled[db_connection] = _CompiledAccountQuery(db_connection)
    return query
