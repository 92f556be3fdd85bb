"""The CSV readers' fast paths give what the cell-by-cell checks give: the punch reader's minute table
and fast loop against the csv module's path (the same rows, quoted), the roster's remembered cell
values against the values parsed one by one."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from zhidu.attendance import csvio
from zhidu.attendance.engine import RosterEntry, stamp

KNOWN = {"a": None, "b": None, "名": None}

CLEAN = ["a,2026-06-01T08:29:00", "b,2026-06-01 17:31", "名,2026-06-30T23:59:59", "a,2026-07-01T00:00",
         "b,2024-02-29T12:00:07", "a,2026-06-01T08:29:00"]
ODD = [
    "a,2026-06-01T08:29:00.250000",  # a fraction of a second
    "a,2026-06-01T08",  # the hour only
    " b ,2026-06-01T08:30:00 ",  # white space around the cells
    "b,2026-06-01X08:31",  # another separator fromisoformat takes
    "",  # a blank line
    "   ",
    "zz,2026-06-01T08:29:00",  # not on the roster
    "a,2026-06-01T25:00",  # no such hour
    "a,2026-02-30T08:00",  # no such day
    "a,2026-06-01T08:29:60",  # no such second
    "a,2026-06-01",  # a date only
    "a,2026-06-01T08:29:00+08:00",  # with a zone
    "a,2026-06-01T08:29:00,x",  # a third cell
    "a",  # one cell
    ",2026-06-01T08:29:00",  # no person
    "a,",  # no time
    "a,２０２６-06-01T08:29",  # full-width digits
    "a,2026-06-01T0８:29",
    "b,2026-06-01T08:29:5",
]


def write(path: Path, rows: list[str], *, quoted: bool = False, newline: str = "\n") -> Path:
    lines = ["person_id,time"] + [",".join(f'"{c}"' for c in row.split(",")) if quoted and row.strip() else row
                                  for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def read(path: Path) -> tuple[dict[str, list[int]], list[str]]:
    problems: list[csvio.CsvProblem] = []
    stamps = csvio.read_punches(path, KNOWN, problems)
    return dict(stamps), [str(p).replace(str(path), "F") for p in problems]


def test_clean_rows_take_the_fast_loop_and_give_fromisoformat_stamps(tmp_path: Path) -> None:
    stamps, problems = read(write(tmp_path / "p.csv", CLEAN))
    assert problems == []
    expected: dict[str, list[int]] = {pid: [] for pid in KNOWN}
    for row in CLEAN:
        pid, text = row.split(",")
        expected[pid].append(stamp(dt.datetime.fromisoformat(text)))
    assert stamps == expected
    assert (stamps, problems) == read(write(tmp_path / "q.csv", CLEAN, quoted=True))
    assert (stamps, problems) == read(write(tmp_path / "r.csv", CLEAN, newline="\r\n"))


@pytest.mark.parametrize("seed", range(4))
def test_any_mix_of_rows_reads_as_the_csv_module_path_reads_it(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = [rng.choice(CLEAN + ODD) for _ in range(60)]
    fast = read(write(tmp_path / "p.csv", rows))
    slow = read(write(tmp_path / "q.csv", rows, quoted=True))  # quotes: the csv module reads the file
    assert fast == slow
    assert fast == read(write(tmp_path / "r.csv", rows, newline="\r\n"))
    assert sum(len(v) for v in fast[0].values()) == sum(1 for r in rows if r in CLEAN or r in ODD[:4])


def test_every_odd_row_has_its_line_and_reason(tmp_path: Path) -> None:
    stamps, problems = read(write(tmp_path / "p.csv", CLEAN + ODD))
    lines = [int(p.split(":")[1]) for p in problems]
    first_bad = 1 + len(CLEAN) + 7  # header, clean rows, then ODD[6:] are bad (blank lines are skipped)
    assert lines == list(range(first_bad, first_bad + len(ODD) - 6))
    assert stamps["a"][-2:] == [stamp(dt.datetime(2026, 6, 1, 8, 29, 0, 250000)), stamp(dt.datetime(2026, 6, 1, 8))]
    assert "person_id “zz”不在花名册中" in problems[0] and "应有 2 列，实有 3 列" in problems[6]


ROSTER = """person_id,name,rank,hired_on,gender,birth_date,base_salary,shift_start,shift_end
a,甲,staff,2020-01-01,F,1995-01-01,3000,08:30,17:30
b,乙,middle_manager,,,,3000.50,8:30,17:30
c,丙,staff,2020-01-01,M,1995-01-01,3000,22:00,06:00
d,丁,general_manager,2021-02-03,,1980-12-31,0,08:30,17:30
"""


def test_roster_rows_read_from_remembered_cells_are_the_cells_parsed_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(ROSTER, encoding="utf-8")
    problems: list[csvio.CsvProblem] = []
    roster = csvio.read_roster(path, problems)
    assert problems == []
    t = dt.time
    assert roster == [
        RosterEntry("a", "甲", "staff", dt.date(2020, 1, 1), "F", dt.date(1995, 1, 1), Decimal(3000), t(8, 30), t(17, 30)),
        RosterEntry("b", "乙", "middle_manager", None, "", None, Decimal("3000.50"), t(8, 30), t(17, 30)),
        RosterEntry("c", "丙", "staff", dt.date(2020, 1, 1), "M", dt.date(1995, 1, 1), Decimal(3000), t(22), t(6)),
        RosterEntry("d", "丁", "general_manager", dt.date(2021, 2, 3), "", dt.date(1980, 12, 31), Decimal(0), t(8, 30),
                    t(17, 30)),
    ]
    # a bad cell after the same good texts: the row is checked cell by cell, the good rows stay
    path.write_text(ROSTER + "e,戊,staff,2020-01-01,F,1995-01-01,3000,08:30,25:00\na,甲,staff,,,,1,08:30,17:30\n",
                    encoding="utf-8")
    roster2 = csvio.read_roster(path, problems)
    assert roster2 == roster
    assert [str(p).split(" ", 1)[0] for p in problems] == [f"{path}:6:", f"{path}:7:"]
    assert "shift_end “25:00”" in str(problems[0]) and "person_id “a”重复" in str(problems[1])
