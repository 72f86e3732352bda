"""Landing discovery, headers, and the CSV record layout (records -> physical lines)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.ingest import LandingNotFoundError, UnknownTableError, load_landing
from ecommerce_pipeline.ingest.batch import REJECTS, csv_reader_sql
from ecommerce_pipeline.ingest.files import (
    _terminators_by_state_machine,
    csv_segments,
    discover_landing,
    parse_csv_header,
    summarise_csv,
)

pytestmark = pytest.mark.unit


def _touch(landing: Path, relative: str, content: bytes = b"x\n") -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_discovery_orders_files_by_table_day_and_name_and_skips_underscores(
    tmp_path: Path,
) -> None:
    for relative in (
        "orders/2024-01-02/a.csv",
        "orders/2024-01-01/b.parquet",
        "orders/2024-01-01/a.CSV",
        "customers/2024-01-03/c.csv",
        "orders/2024-01-01/_tmp.csv",
        "orders/_staging/2024-01-01/x.csv",
        "_manifest/dirty_manifest.csv",
        ".DS_Store",
        "refunds/2024-01-01/r.csv",
        "orders/2024-13-01/bad_day.csv",
        "orders/2024-01-01/notes.txt",
    ):
        _touch(tmp_path, relative)

    found = discover_landing(tmp_path)

    assert [item.source_file for item in found.files] == [
        "customers/2024-01-03/c.csv",
        "orders/2024-01-01/a.CSV",
        "orders/2024-01-01/b.parquet",
        "orders/2024-01-02/a.csv",
    ]
    assert [item.file_format for item in found.files] == ["csv", "csv", "parquet", "csv"]
    assert found.files[1].file_day == date(2024, 1, 1)
    warnings = " | ".join(found.warnings)
    for expected in ("refunds", "2024-13-01", "notes.txt"):
        assert expected in warnings
    assert "_manifest" not in warnings and "_staging" not in warnings


def test_discovery_filters_days_inclusively_and_tables(tmp_path: Path) -> None:
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        _touch(tmp_path, f"orders/{day}/o.csv")
        _touch(tmp_path, f"customers/{day}/c.csv")

    found = discover_landing(
        tmp_path, since=date(2024, 1, 2), until=date(2024, 1, 3), tables=["orders"]
    )

    assert [item.source_file for item in found.files] == [
        "orders/2024-01-02/o.csv",
        "orders/2024-01-03/o.csv",
    ]
    with pytest.raises(UnknownTableError, match="refunds"):
        discover_landing(tmp_path, tables=["refunds"])


def test_missing_landing_folder_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(landing_dir=tmp_path / "nowhere", duckdb_path=tmp_path / "w.duckdb")

    with pytest.raises(LandingNotFoundError, match=r"nowhere.*does not exist"):
        load_landing(settings)


def test_no_landing_files_gives_an_empty_report_without_touching_the_warehouse(
    tmp_path: Path,
) -> None:
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    settings = Settings(landing_dir=tmp_path / "landing", duckdb_path=tmp_path / "w.duckdb")

    report = load_landing(settings)

    assert report.files == [] and report.reconciles
    assert any("no landing files" in warning for warning in report.warnings)
    assert not (tmp_path / "w.duckdb").exists()


def test_header_names_are_stripped_lower_cased_and_lose_the_bom() -> None:
    assert parse_csv_header(b'\xef\xbb\xbf Order_ID ,"Ship, City",x\r', "f.csv") == (
        "order_id",
        "ship, city",
        "x",
    )


def test_summary_counts_records_not_lines() -> None:
    plain = summarise_csv(b"a,b\n1,2\n3,4\n", "f.csv")
    no_final_newline = summarise_csv(b"a,b\n1,2\n3,4", "f.csv")
    quoted = summarise_csv(b'a,b\n1,"x\ny"\n3,4\n', "f.csv")
    blank = summarise_csv(b"a,b\r\n1,2\r\n\r\n3,4\r\n\r\n", "f.csv")
    header_only = summarise_csv(b"A,B\n", "f.csv")

    assert (plain.records, plain.regular) == (2, True)
    assert (no_final_newline.records, no_final_newline.regular) == (2, True)
    assert (quoted.records, quoted.regular) == (2, False)
    assert (blank.records, blank.regular) == (2, False)
    assert (header_only.records, header_only.header) == (0, ("a", "b"))
    assert summarise_csv(b"a\n\x00\n", "f.csv").has_nul
    # Plain: nothing any CSV reader could split differently (quotes, CR, blank lines, NUL).
    assert plain.plain and no_final_newline.plain and header_only.plain
    assert not quoted.plain and not blank.plain
    assert not summarise_csv(b"a\n\x00\n", "f.csv").plain
    assert not summarise_csv(b"a,b\r\n1,2\r\n", "f.csv").plain
    assert not summarise_csv(b'a,b\n1,"2"\n', "f.csv").plain


def _physical_starts(records: list[list[str]]) -> tuple[bytes, list[int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["h1", "h2"])
    starts, line = [], 2
    for record in records:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(record)
        starts.append(line)
        line += text.getvalue().count("\n")
        buffer.write(text.getvalue())
    return buffer.getvalue().encode(), starts


FIELD = st.lists(st.sampled_from(["a", " ", ",", '"', "\n", "\r\n", "é"]), max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(FIELD, min_size=2, max_size=2), min_size=1, max_size=12))
def test_segments_give_the_physical_start_line_of_every_record(records: list[list[str]]) -> None:
    data, starts = _physical_starts(records)

    segments = csv_segments(data)

    assert segments.records == len(records)
    assert segments.good_lines(np.array([], np.int64)).tolist() == starts


def test_state_machine_agrees_with_parity_on_well_formed_quoting() -> None:
    data = b'a,b\n"x\n""y""",z\n"",w\n1,"2\n3"\n'
    buffer = np.frombuffer(data, np.uint8)
    newlines = np.flatnonzero(buffer == 10).astype(np.int64)
    quotes = np.flatnonzero(buffer == 34).astype(np.int64)

    by_machine = _terminators_by_state_machine(data, newlines, quotes)

    assert by_machine.tolist() == (np.searchsorted(quotes, newlines) % 2 == 0).tolist()


def _duckdb_view(data: bytes, tmp_path: Path) -> tuple[int, list[int]]:
    """Rows DuckDB's reader (as the loader configures it) accepts, and its rejected lines."""
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    con = duckdb.connect()
    con.execute(f"create table t as {csv_reader_sql([str(path)], 3)}")
    good = con.execute("select count(*) from t").fetchall()[0][0]
    lines = con.execute(f"select distinct line from {REJECTS} order by line").fetchall()
    return good, [line for (line,) in lines]


@pytest.mark.parametrize(
    "body",
    [
        b'1,x"y,3\n4,5,6\n',  # literal quote inside an unquoted field
        b'1, "a,b",3\n4,5,6\n',  # space before an opening quote
        b'1,"a" ,3\n4,5,6\n',  # space after a closing quote
        b'1,"x"y,"z\nw"\n4,5,6\n',  # broken quoting, then a quoted line break
        b'1,"x"y"z\n4,5,6\n',
        b'1,"open,3\n4,5,6\n7,8,9\n',  # unterminated quote swallows the rest
        b'1,2,3\r\n\r\n"a""b",5,6\r\n7,8\r\n',
        b"1,2,3\n4,5,6",
        b'"1\n",2,3\n  \n4,5,6\n',
    ],
)
def test_segments_match_duckdb_records(body: bytes, tmp_path: Path) -> None:
    data = (b"h1,h2,h3\r\n" if b"\r\n" in body else b"h1,h2,h3\n") + body
    good, rejected = _duckdb_view(data, tmp_path)

    segments = csv_segments(data)

    assert segments.records == good + len(rejected)
    assert segments.good_lines(np.array(rejected, np.int64)).size == good
    assert all(not segments.blank[line - 1] for line in rejected)
