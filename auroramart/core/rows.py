"""Model instances read by their primary keys, and rows written, in one constant statement.

Building an ORM query costs more CPU than running it for the few rows a hot page reads (the
cart's variants: about 0.45 ms to build, 0.1 ms to run, #23). `by_pk` reads every column of
`model` for the given keys with a statement made once per model and number of keys, and
converts each value the way the ORM does (the backend's converters and the field's own:
decimals and booleans on SQLite, JSON on both), so the instances are the ORM's own. `where`
does the same for the rows whose columns equal given values, in the model's default order
(a customer's addresses and saved cards on every checkout page: about 0.35 ms each to
build as a query, #23).

`by_pk_with` is `by_pk` for one row with more values computed in the same statement (a
signed-in shopper and the two numbers their header shows, on every page they open, #23).

`columns` and `from_row` let a caller's own statement read a model's rows with others, as
instances (a customer's cart lines with their variants, #23).

`add_to` adds whole numbers to columns of several rows in one UPDATE (stock and units sold
at placement: a CASE built by the ORM cost more to compile than to run).

`locked` is `where` for rows a transaction is about to change: SELECT … FOR UPDATE on the
database writes go to (a loyalty account, at every paid order: the ORM's locking query with its
join cost about 1.5 ms to build, #23). `locked_by_pk` is `by_pk` the same way, in primary-key
order (the variants and products an order takes stock from), locked FOR NO KEY UPDATE so that
rows pointing at them are written meanwhile.

`insert` writes one row the way `Model.objects.create` would (defaults, auto_now_add, each
field's own preparation) for a log row nobody reads back (about 0.14 ms instead of 0.31): no
instance, no primary key and no save signals, so it refuses a model that has any.
`create` is `insert` for a row the caller goes on to use (an outbox email, a points ledger
row): the instance comes back with its primary key, from the same statement.
`create_unless_taken` is `create` that gives None instead of an error when a unique value is
already taken (an order under a checkout's key that a twin request placed first).

`update` writes named fields of a saved instance the way `save(update_fields=…)` would (an
order's priced totals, then its paid status and invoice number, at every placement).
"""

from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)


def _q(name: str) -> str:
    """A table or column name as SQL, quoted: a column may be named `to` (the outbox's). Both
    databases the shop runs on quote names the same way."""
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


@lru_cache(maxsize=256)
def _statement(model: type[models.Model], how_many: int, more: str = "") -> str:
    meta = model._meta
    columns = ", ".join([*(_q(f.column) for f in meta.concrete_fields), *([more] if more else [])])
    placeholders = ", ".join(["%s"] * how_many)
    # Names from the model's metadata, one placeholder per key: the keys are bound parameters.
    return BY_PK_SQL.format(
        columns=columns, table=_q(meta.db_table), pk=_q(meta.pk.column), placeholders=placeholders
    )


BY_PK_SQL = "SELECT {columns} FROM {table} WHERE {pk} IN ({placeholders})"


def _converters(model: type[models.Model], using: str) -> list[tuple[int, list, models.expressions.Col]]:
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, converters, column))
    return found


# Per model and database: the field names from_db takes, and the converters of each column.
_known_converters: dict[tuple[type[models.Model], str], tuple[list[str], list]] = {}


def by_pk(model: type[models.Model], keys: Iterable[int]) -> list:
    """`model`'s rows with these primary keys (in no particular order), as instances."""
    keys = list(keys)
    if not keys:
        return []
    return _instances(model, router.db_for_read(model), _statement(model, len(keys)), keys)


def by_pk_with(model: type[M], key: int, more: str, params: list) -> tuple[M | None, tuple]:
    """`model`'s row with this primary key as an instance (None when there is none), and the
    values of `more`, SQL for further columns of the same statement (scalar subqueries of other
    tables), whose placeholders `params` binds; those values come back as the driver gives them.
    `more` is the caller's constant SQL, never built from input."""
    sql = _statement(model, 1, more)
    using = router.db_for_read(model)
    found = _rows(using, sql, [*params, key])
    if not found:
        return None, ()
    width = len(model._meta.concrete_fields)
    return _instance(model, using, found[0][:width]), tuple(found[0][width:])


def columns(model: type[models.Model], alias: str) -> str:
    """`model`'s columns as SQL, each qualified by `alias`, in the order `from_row` takes them: for
    a caller's own statement that reads a model's rows along with others (a cart's lines with
    their variants, #23)."""
    return ", ".join(f"{alias}.{_q(f.column)}" for f in model._meta.concrete_fields)


def from_row(model: type[M], values, using: str) -> M:
    """An instance, the ORM's own, from the values of `columns(model, …)` as `using`'s driver
    gave them."""
    return _instance(model, using, values)


def hold_as_prefetched(instance: models.Model, name: str, related: list) -> None:
    """`instance.<name>.all()` answers `related`, as if `prefetch_related(name)` had read them:
    for a one-to-many relation whose rows the caller has just written and holds (a new order's
    lines), so they are not read back. Each related object points back at `instance`."""
    manager = getattr(instance, name)
    for obj in related:
        setattr(obj, manager.field.name, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = list(related)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def prefetched(instance: models.Model, name: str) -> list | None:
    """What `instance.<name>` holds, prefetched (or held), or None when it would be read."""
    cached = getattr(instance, "_prefetched_objects_cache", {}).get(name)
    return None if cached is None else list(cached)


def locked_by_pk(model: type[models.Model], keys: Iterable[int]) -> list:
    """`by_pk` for rows a transaction is about to change, each locked until it ends, in
    primary-key order (so two transactions locking overlapping sets never deadlock): what
    `list(model.objects.select_for_update(no_key=True).filter(pk__in=keys).order_by("pk"))` gives.

    FOR NO KEY UPDATE, the lock PostgreSQL's own UPDATE of these columns takes: two such
    transactions still wait for each other, but a row that only points at one of these (a cart
    line or a cart addition of a variant a checkout holds) is written meanwhile, as its foreign
    key's check needs only FOR KEY SHARE (#23: with FOR UPDATE, every shopper adding the product
    another's checkout held waited for that checkout). A transaction that deletes a locked row or
    changes its key still takes the stronger lock when it does."""
    keys = sorted(set(keys))
    if not keys:
        return []
    using, lock = _locking(model, "locked_by_pk")
    sql = f"{_statement(model, len(keys))} ORDER BY {_q(model._meta.pk.column)}"
    return _instances(model, using, f"{sql} FOR NO KEY UPDATE" if lock else sql, keys)


def _locking(model: type[models.Model], caller: str) -> tuple[str, bool]:
    """The database writes go to, and whether it locks rows (SQLite, which has none, serialises
    the writing transactions instead); refused outside a transaction, as the ORM refuses."""
    using = router.db_for_write(model)
    if connections[using].get_autocommit():
        raise TransactionManagementError(
            f"rows.{caller}() locks rows until a transaction ends: call it in one"
        )
    return using, connections[using].features.has_select_for_update


@lru_cache(maxsize=256)
def _where_statement(model: type[models.Model], names: tuple[str, ...], either: tuple[str, ...] = ()) -> str:
    meta = model._meta
    order = []
    for entry in meta.ordering:
        if not isinstance(entry, str) or entry == "?" or "__" in entry:
            raise ImproperlyConfigured(f"{model.__name__}'s ordering {entry!r} is not a plain field")
        name = entry.lstrip("-")
        column = meta.pk.column if name == "pk" else meta.get_field(name).column
        order.append(f"{_q(column)} {'DESC' if entry.startswith('-') else 'ASC'}")
    conditions = [f"{_q(meta.get_field(name).column)} = %s" for name in names]
    if either:
        conditions.append(
            "(" + " OR ".join(f"{_q(meta.get_field(name).column)} = %s" for name in either) + ")"
        )
    # Names from the model's metadata, one placeholder per value: the values are bound parameters.
    return WHERE_SQL.format(
        columns=", ".join(_q(f.column) for f in meta.concrete_fields),
        table=_q(meta.db_table),
        conditions=" AND ".join(conditions),
        order=f" ORDER BY {', '.join(order)}" if order else "",
    )


WHERE_SQL = "SELECT {columns} FROM {table} WHERE {conditions}{order}"


def where(model: type[models.Model], **equals) -> list:
    """`model`'s rows whose fields equal these values (field names as the model has them; a
    foreign key by its column, `user_id=`), in the model's default order, as instances: what
    `list(model.objects.filter(**equals))` gives. None is not a value here (SQL's = never
    matches NULL): filter for it with the ORM."""
    return _where(model, router.db_for_read(model), equals, lock=False)


def where_either(model: type[models.Model], equals: dict, either: dict) -> list:
    """`where` for the rows whose fields equal `equals` and any one of `either`'s fields equals
    its value: `model.objects.filter(**equals).filter(Q(a=…) | Q(b=…))`, in one constant
    statement (the order a checkout's key or its cart names, at every placement)."""
    return _where(model, router.db_for_read(model), equals, lock=False, either=either)


def locked(model: type[models.Model], **equals) -> list:
    """`where`, each row locked until the transaction ends: what
    `list(model.objects.select_for_update().filter(**equals))` gives (on the database writes go
    to; SQLite, which has no row locks, serialises the writing transactions instead)."""
    using, lock = _locking(model, "locked")
    return _where(model, using, equals, lock=lock)


def _where(
    model: type[models.Model], using: str, equals: dict, lock: bool, either: dict | None = None
) -> list:
    either = either or {}
    if None in equals.values() or None in either.values():
        raise ValueError("rows.where() compares with =, which never matches NULL")
    names, alternatives = tuple(sorted(equals)), tuple(sorted(either))
    field, connection = model._meta.get_field, connections[using]
    params = [field(name).get_db_prep_value(equals[name], connection) for name in names]
    params += [field(name).get_db_prep_value(either[name], connection) for name in alternatives]
    sql = _where_statement(model, names, alternatives)
    return _instances(model, using, f"{sql} FOR UPDATE" if lock else sql, params)


def _instances(model: type[models.Model], using: str, sql: str, params: list) -> list:
    return [_instance(model, using, row) for row in _rows(using, sql, params)]


def _rows(using: str, sql: str, params: list) -> list:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _instance(model: type[M], using: str, row) -> M:
    """One row of `model`'s columns, in their order, as the ORM's own instance."""
    known = _known_converters.get((model, using))
    if known is None:
        known = _known_converters[(model, using)] = (
            [f.attname for f in model._meta.concrete_fields],
            _converters(model, using),
        )
    names, converters = known
    if converters:
        connection = connections[using]
        values = list(row)
        for index, functions, column in converters:
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        row = values
    return model.from_db(using, names, row)


@lru_cache(maxsize=64)
def _insert_statement(model: type[models.Model]) -> tuple[str, tuple]:
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise ImproperlyConfigured(f"{model.__name__} has save signals, which insert() would skip: save it")
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    return (
        INSERT_SQL.format(
            table=_q(model._meta.db_table),
            columns=", ".join(_q(f.column) for f in fields),
            placeholders=", ".join(["%s"] * len(fields)),
        ),
        fields,
    )


INSERT_SQL = "INSERT INTO {table} ({columns}) VALUES ({placeholders})"


def insert(model: type[models.Model], **values) -> None:
    """One row of `model`, as `model.objects.create(**values)` would write it."""
    connection, sql, _, params = _row_to_insert(model, values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def create(model: type[M], **values) -> M:
    """`insert`, and the instance as `model.objects.create(**values)` returns it, its primary key
    read back in the same statement (RETURNING; SQLite before 3.35, its last row id)."""
    made = _create(model, values, "")
    assert made is not None  # without ON CONFLICT, a statement that inserts nothing raises
    return made


def create_unless_taken(model: type[M], **values) -> M | None:
    """`create`, or None when a unique constraint already holds a row with one of these values
    (`INSERT … ON CONFLICT DO NOTHING`): nothing is raised, so a transaction needs no savepoint
    around it to go on (every placement's new order: a savepoint and its release were two more
    round trips, #23). Only uniqueness is forgiven; any other constraint still raises."""
    return _create(model, values, " ON CONFLICT DO NOTHING")


def _create(model: type[M], values: dict, on_conflict: str) -> M | None:
    connection, sql, row, params = _row_to_insert(model, values)
    sql += on_conflict
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{sql} RETURNING {_q(model._meta.pk.column)}", params)
            made = cursor.fetchone()
            if made is None:
                return None
            row.pk = made[0]
        else:
            cursor.execute(sql, params)
            if cursor.rowcount == 0:
                return None
            row.pk = cursor.lastrowid
    row._state.adding, row._state.db = False, connection.alias
    return row


def _row_to_insert(model: type[M], values: dict):
    """The database, the statement, the unsaved instance and its values, prepared each the way
    `save()` prepares them (defaults, `auto_now_add`, each field's own conversion)."""
    sql, fields = _insert_statement(model)
    connection = connections[router.db_for_write(model)]
    row = model(**values)
    return connection, sql, row, [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]


@lru_cache(maxsize=64)
def _update_statement(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple]:
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise ImproperlyConfigured(f"{model.__name__} has save signals, which update() would skip: save it")
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    if any(f.primary_key or not f.concrete for f in fields):
        raise ImproperlyConfigured(f"update() writes concrete columns other than the key, not {names}")
    # Names from the model's metadata, one placeholder per value: the values are bound parameters.
    return UPDATE_SQL.format(
        table=_q(meta.db_table), sets=", ".join(f"{_q(f.column)} = %s" for f in fields), pk=_q(meta.pk.column)
    ), fields


UPDATE_SQL = "UPDATE {table} SET {sets} WHERE {pk} = %s"


def update(instance: models.Model, fields: Iterable[str]) -> None:
    """Write these fields of a saved instance, as `instance.save(update_fields=fields)` would: each
    field's own preparation, `auto_now` fields named stamped now (on the instance too), and an
    error if the row is gone. No save signals, so it refuses a model that has any."""
    model = type(instance)
    sql, prepared = _update_statement(model, tuple(fields))
    connection = connections[router.db_for_write(model, instance=instance)]
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in prepared]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


@lru_cache(maxsize=256)
def _add_statement(model: type[models.Model], columns: tuple[str, ...], how_many: int) -> str:
    meta = model._meta
    case = "CASE {pk} {whens} ELSE 0 END".format(
        pk=_q(meta.pk.column), whens=" ".join(["WHEN %s THEN %s"] * how_many)
    )
    return ADD_SQL.format(
        table=_q(meta.db_table),
        sets=", ".join(
            f"{_q(meta.get_field(c).column)} = {_q(meta.get_field(c).column)} + {case}" for c in columns
        ),
        pk=_q(meta.pk.column),
        placeholders=", ".join(["%s"] * how_many),
    )


ADD_SQL = "UPDATE {table} SET {sets} WHERE {pk} IN ({placeholders})"


def add_to(model: type[models.Model], amounts: dict[str, dict[int, int]]) -> None:
    """Add whole numbers to columns of rows, in one statement: `amounts` maps a field's name to
    {primary key: amount}, as `update(field=F(field) + Case(When(pk=…, then=…)))` would (no
    signals either way). A key missing from one field's amounts adds 0 to that field."""
    keys = sorted({key for by_key in amounts.values() for key in by_key})
    if not keys:
        return
    columns = tuple(amounts)
    params: list[int] = []
    for column in columns:
        for key in keys:
            params += [key, amounts[column].get(key, 0)]
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.execute(_add_statement(model, columns, len(keys)), params + keys)
