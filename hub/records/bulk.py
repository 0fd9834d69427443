"""Bulk writes in the caller's transaction: PostgreSQL COPY, SQLite's executemany, elsewhere Core executemany."""

from typing import Any, Final

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

_BATCH: Final = 5000


def copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY FROM STDIN, in the session's transaction."""
    from psycopg import sql

    if not rows:
        return
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[c] for c in columns])


def executemany(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The driver's own executemany with positional rows, in the session's transaction (SQLite)."""
    if not rows:
        return
    columns = list(rows[0])
    names = [table.c[column].name for column in columns]  # KeyError for a column the table lacks
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - table and column names come from the models
    driver = session.connection().connection.driver_connection
    driver.executemany(statement, (tuple(row[c] for c in columns) for row in rows))  # type: ignore[union-attr]


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
