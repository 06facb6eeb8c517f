"""The seed's "Structured Persistence" example, as the user wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_author_example_runs_verbatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OVERVIEW.md Author example runs unchanged, twice, and stores its rows."""
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        # --- verbatim from the seed (indentation restored) ---
        from pydantic import Field

        from lythonic.state import DbModel, Schema, open_sqlite_db

        class Author(DbModel["Author"]):
            author_id: int = Field(default=-1, description="(PK)")
            name: str

        SCHEMA = Schema([Author])
        SCHEMA.create_schema("library.db")
        with open_sqlite_db("library.db") as conn:
            Author(name="Jane Austen").save(conn)
            conn.commit()
        # --- end of the example ---

    with open_sqlite_db(tmp_path / "library.db") as conn:
        names = [(a.author_id, a.name) for a in Author.select(conn, order_by="author_id")]
    assert names == [(1, "Jane Austen"), (2, "Jane Austen")]
