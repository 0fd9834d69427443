"""`prepare` in chunks: the same tables as in one chunk, and its private temporary directory always removed."""

import functools
import io
import tempfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from partner_client.cli import app
from partner_client.csvread import read_chunks
from partner_client.prepare import read as prepare_read
from tests.factories.client_home import DEMO_AGREEMENT, GOOD, HEADER, PROFILE, make_home

# Case R1 again in a later chunk with an earlier month, a duplicate row, a person without a phone.
ROWS = [
    *GOOD,
    "R4,02/07/2026,Ana Popescu,07/03/1980,F,Romanian,Labour,Newham,07700 900004",
    "R1,20/06/2026,Ilir Hoxha,01/02/1992,M,Albanian,Labour,Newham,07700 900001",
    "R2,15/08/2026,Mai Nguyen,11/12/2004,F,Vietnamese,Sexual,Tower Hamlets,07700 900002",
    "R5,,Jon Doe,,M,British,Sexual,Camden,",
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    home = tmp_path / "home"
    make_home(home)
    (tmp_path / "profile.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "export.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return {"home": home, "tmp": tmp_path, "scratch": scratch}


def _tables(env: dict[str, Path], name: str, quarter: str = "2026Q3") -> tuple[int, dict[str, list[dict[str, object]]]]:
    out = env["tmp"] / name / "b.zip"
    result = CliRunner().invoke(
        app,
        ["prepare", str(env["tmp"] / "export.csv"), "--profile", str(env["tmp"] / "profile.yaml"), "--quarter", quarter,
         "--out", str(out), "--agreement", str(DEMO_AGREEMENT), "--home", str(env["home"]), "--no-ner"],
    )
    if result.exit_code != 0:
        return result.exit_code, {}
    with zipfile.ZipFile(out) as archive:
        return 0, {
            n: pq.read_table(io.BytesIO(archive.read(n))).to_pylist() for n in archive.namelist() if n.endswith(".parquet")
        }


def test_chunks_of_two_rows_give_the_same_tables_as_one_chunk(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    code, whole = _tables(env, "whole")
    assert code == 0
    monkeypatch.setattr(prepare_read, "read_chunks", functools.partial(read_chunks, chunk_rows=2))
    code, chunked = _tables(env, "chunked")
    assert code == 0
    assert chunked == whole
    assert len(whole["incidents.parquet"]) == 5
    # R1 takes the earlier month of its row in a later chunk; R5 has no date (the quarter's first month).
    months = sorted(str(i["first_known_month"]) for i in whole["incidents.parquet"])
    assert months == ["2026-06", "2026-07", "2026-07", "2026-08", "2026-09"]
    assert sorted(str(p["person_seq"]) for p in whole["persons.parquet"]) == ["1", "1", "1", "1", "1", "2"]
    assert list(env["scratch"].iterdir()) == []


def test_temporary_directory_removed_after_a_failure(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare_read, "read_chunks", functools.partial(read_chunks, chunk_rows=2))
    code, _ = _tables(env, "failed", quarter="2026Q2")
    assert code == 1
    assert list(env["scratch"].iterdir()) == []
    assert not (env["tmp"] / "failed").exists() or not any((env["tmp"] / "failed").iterdir())
