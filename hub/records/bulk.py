"""Bulk reads and writes in the caller's transaction: PostgreSQL COPY, SQLite's executemany, elsewhere Core executemany."""

import json
import operator
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.expression import column as column_clause
from sqlalchemy.sql.expression import table as table_clause

_BATCH: Final = 5000


def copy(session: Session, table: Table, rows: list[dict[str, Any]], *, into: str | None = None) -> None:
    """PostgreSQL COPY FROM STDIN (into ``table``, or the table named ``into`` with its columns), in
    the session's transaction; JSON columns' values are sent as their JSON text."""
    from psycopg import sql

    if not rows:
        return
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, sqltypes.JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(into or table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    driver = session.connection().connection.driver_connection
    values = operator.itemgetter(*columns)  # a tuple per row in C; one column gives the bare value
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        if as_json:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])
        elif len(columns) == 1:
            for row in rows:
                copy.write_row((values(row),))
        else:
            for row in rows:
                copy.write_row(values(row))


def update_rows(session: Session, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Set every column of ``rows`` (dicts with the same keys, ``key`` among them) on the row of
    ``table`` with that ``key``. PostgreSQL: COPY'd into a temporary copy of the table and one
    ``UPDATE … FROM``; elsewhere an executemany of single-row updates."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            update(table).where(table.c[key] == bindparam("key_")).values({c: bindparam(c) for c in columns})
            .execution_options(synchronize_session=False),
            [{**{c: row[c] for c in columns}, "key_": row[key]} for row in rows],
        )
        return
    staged = f"bulk_{table.name}"
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {staged} (LIKE {table.name}) ON COMMIT DROP"))
    session.execute(text(f"TRUNCATE {staged}"))
    copy(session, table, rows, into=staged)
    assignments = ", ".join(f"{c} = s.{c}" for c in columns)
    session.execute(text(f"UPDATE {table.name} SET {assignments} FROM {staged} s WHERE {table.name}.{key} = s.{key}"))  # noqa: S608 - names from the models


def executemany(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The driver's own executemany with positional rows, in the session's transaction (SQLite); JSON columns' values as their JSON text."""
    if not rows:
        return
    columns = list(rows[0])
    names = [table.c[column].name for column in columns]  # KeyError for a column the table lacks
    as_json = {c for c in columns if isinstance(table.c[c].type, sqltypes.JSON)}
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - table and column names come from the models
    driver = session.connection().connection.driver_connection
    driver.executemany(statement, (tuple(json.dumps(row[c]) if c in as_json else row[c] for c in columns) for row in rows))  # type: ignore[union-attr]


def rows(session: Session, table: Table, batch: list[dict[str, Any]]) -> None:
    """Insert ``batch`` (dicts with the same keys) by the fastest path the database has."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        copy(session, table, batch)
    elif dialect == "sqlite":
        executemany(session, table, batch)
    else:
        for i in range(0, len(batch), _BATCH):
            session.execute(insert(table), batch[i : i + _BATCH])


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` (the sequence on PostgreSQL; max + n under SQLite's write lock)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        query = text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)")  # noqa: S608 - a model's table name
        return [int(v) for v in session.execute(query, {"n": count}).scalars()]
    start = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(start + 1, start + 1 + count))


def integers(session: Session, statement: Select[*tuple[Any, ...]], columns: int) -> npt.NDArray[np.int64]:
    """The rows of a SELECT of ``columns`` non-null integer columns, as an int64 array (rows, columns).

    PostgreSQL: each column aggregated by the server into one ``bytea`` of big-endian int8s
    (``string_agg(int8send(...))``, all columns fed the rows in the same order) and read by numpy
    without a Python object per value: the millions of key rows linkage reads took 35 s as rows
    (a COPY sends a message per row) and take about a second so. Elsewhere the driver's own rows.
    """
    if session.get_bind().dialect.name != "postgresql":
        rows = session.execute(statement).all()
        return np.array(rows, dtype=np.int64).reshape(len(rows), columns)
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    names = [f"c{i}" for i in range(columns)]
    aggregates = ", ".join(f"string_agg(int8send(q.{name}::bigint), ''::bytea)" for name in names)
    query = f"SELECT count(*), {aggregates} FROM ({compiled}) AS q({', '.join(names)})"  # noqa: S608 - a compiled statement
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(query, compiled.params)
        row = cursor.fetchone()
    count = int(row[0])
    out = np.empty((count, columns), dtype=np.int64)
    for i in range(columns):
        if count:
            out[:, i] = np.frombuffer(row[1 + i], dtype=">i8")
    return out


def update_by_key(session: Session, table: Table, key: str, column: str, pairs: npt.NDArray[np.int64], *,
                  where: dict[str, Any] | None = None) -> None:
    """Set ``column`` to ``pairs[:, 1]`` where ``key`` is ``pairs[:, 0]`` (and the ``where`` columns match).

    PostgreSQL: the pairs COPY'd into a temporary table and one ``UPDATE ... FROM`` join; elsewhere
    an executemany of single-row updates.
    """
    if pairs.size == 0:
        return
    where = where or {}
    conditions = [table.c[name] == value for name, value in where.items()]
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            update(table).where(*conditions, table.c[key] == bindparam("k_")).values({column: bindparam("v_")})
            .execution_options(synchronize_session=False),
            [{"k_": int(k), "v_": int(v)} for k, v in pairs.tolist()],
        )
        return
    session.execute(text("CREATE TEMP TABLE IF NOT EXISTS bulk_pairs (k bigint PRIMARY KEY, v bigint) ON COMMIT DROP"))
    session.execute(text("TRUNCATE bulk_pairs"))
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy("COPY bulk_pairs (k, v) FROM STDIN") as copy:  # type: ignore[union-attr]
        copy.write("".join(f"{k}\t{v}\n" for k, v in pairs.tolist()))
    pairs_table = table_clause("bulk_pairs", column_clause("k"), column_clause("v"))
    session.execute(
        update(table).where(*conditions, table.c[key] == pairs_table.c.k).values({column: pairs_table.c.v})
        .execution_options(synchronize_session=False)
    )
