"""The customers CSV: stray quotes, multi-line records, trailing cells, extra columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layers_async._cli import main
from layers_async._cli._common import UsageError
from layers_async._cli._rows import parse_rows

HEADER = "customer_external_id,project_name,repo,branch,platforms,timezone,language\n"
FAST = ["--time-scale", "5000", "--poll-interval", "0.005"]


def test_an_unbalanced_quote_costs_one_row() -> None:
    """A quote left open is reported on its own line; the rows after it are still read."""
    good, bad, _ = parse_rows([HEADER, "a,A,o/a,,,,\n", 'b,"B,o/b,,,,\n', "c,C,o/c,,,,\n",
                               "d,D,o/d,,,,\n"])
    assert [2, 4, 5] == [row.line for row in good]
    [(line, message)] = [(row.line, row.message) for row in bad]
    assert 3 == line
    assert message.startswith("malformed CSV (unexpected end of data")


def test_a_record_over_several_lines_is_reported_where_it_starts() -> None:
    """A quoted value that runs over lines is refused at its first line; reading goes on."""
    good, bad, _ = parse_rows([HEADER, '"a\n', 'x",A,o/a,,,,\n', "b,B,o/b,,,,\n",
                               'c,"C"C,o/c,,,,\n', "d,D,o/d,,,,\n"])
    assert [("b", 4), ("d", 6)] == [(row.customer_external_id, row.line) for row in good]
    assert [(2, ""), (3, 'x"'), (5, "")] == [(row.line, row.customer_external_id)
                                             for row in bad]
    assert "runs on over lines 2-3" in bad[0].message
    assert "contains a quote" in bad[1].message  # the tail of the broken record
    assert "',' expected after '\"'" in bad[2].message


def test_trailing_empty_cells_and_unknown_columns_are_fine() -> None:
    """``t1,T1,acme/t1,`` under a three-column header is a row; an extra column is a warning."""
    good, bad, warnings = parse_rows([
        "customer_external_id,project_name,repo,notes,\n", "t1,T1,acme/t1,\n",
        "t2,T2,acme/t2,a note,,\n", "t3,T3,acme/t3,,,x\n"])
    assert [("t1", 2), ("t2", 3)] == [(row.customer_external_id, row.line) for row in good]
    assert [(4, "more cells than header columns (quote values that contain commas)")] == [
        (row.line, row.message) for row in bad]
    assert ["ignoring unknown column 'notes' (expected: customer_external_id,project_name,"
            "repo,branch,platforms,timezone,language)"] == warnings


@pytest.mark.parametrize(("header", "message"), [
    ("customer_external_id,project_name,repo,platform",
     "unknown CSV column 'platform': did you mean 'platforms'?"),
    ("customer_external_id,project_name,repo,lang",
     "unknown CSV column 'lang': did you mean 'language'?"),
    ("customer_external_id,project_name,repo,repo", "CSV column(s) repo appear more than once"),
    ('customer_external_id,"project_name\n', "the CSV header (line 1) is malformed"),
])
def test_a_misspelt_or_doubled_column_is_refused(header: str, message: str) -> None:
    """A typo of a known column would silently lose that column: refused, with a hint."""
    with pytest.raises(UsageError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_rows([header + "\n", "x,X,o/x,ios\n"])


def test_ingest_warns_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown columns are a warning on stderr; a broken row is reported by line; others run."""
    csv = tmp_path / "c.csv"
    csv.write_text("customer_external_id,project_name,repo,owner\n"
                   "t1,T1,acme/t1,\n"
                   't2,"T2,acme/t2,\n'
                   "t3,T3,acme/t3,ops\n")
    out = tmp_path / "r.jsonl"
    assert main(["ingest", str(csv), "--out", str(out), *FAST]) == 5
    err = capsys.readouterr().err
    assert f"{csv}: warning: ignoring unknown column 'owner'" in err
    assert f"{csv}:3: malformed CSV (unexpected end of data; is a quote unbalanced?); " \
           "row skipped" in err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(2, "completed"), (3, "invalid"), (4, "completed")] == [
        (line["line"], line["status"]) for line in lines]
