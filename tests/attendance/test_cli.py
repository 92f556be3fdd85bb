"""``zhidu attendance evaluate``: the exact CLI contract of issue 5, run for real — through
``call_command`` (no ``db`` fixture: pytest-django fails any database access) and as a subprocess
with an unreachable database — on CSV files written to a temporary directory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROSTER = """person_id,name,rank,hired_on,gender,birth_date,base_salary,shift_start,shift_end
a,张三,staff,2020-01-01,F,1995-01-01,3000,08:30,17:30
m,李四,middle_manager,2018-05-01,M,1985-07-01,6000,08:30,17:30
n,王五,staff,2021-03-01,M,1990-02-01,4350,22:00,06:00
"""
JUNE_WORKING = [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 22, 23, 24, 25, 26, 29, 30]
# Special days of June 2026 (a: staff, m: manager, n: night shift).
SPECIAL = {
    ("a", 2): ["2026-06-02T09:00:00", "2026-06-02T17:31:00"],  # exactly 30 minutes late: a fined instance
    ("a", 3): ["2026-06-03T09:01:00", "2026-06-03T17:31:00"],  # 31 minutes: half a day
    ("a", 4): ["2026-06-04T08:20:00"],  # a single punch: half a day
    ("a", 8): [],  # sick leave notified 59 minutes before the shift: absenteeism
    ("a", 9): [],  # no punch, no leave
    ("a", 10): [],  # a power cut (exception for everyone)
    ("m", 10): [],
    ("n", 10): [],
    ("m", 1): ["2026-06-01T08:35", "2026-06-01T17:30"],
    ("m", 2): ["2026-06-02T08:31", "2026-06-02T17:30"],
    ("m", 3): ["2026-06-03T08:30", "2026-06-03T17:10"],
    ("m", 4): ["2026-06-04T08:45", "2026-06-04T17:30"],  # the 4th instance: + 1 day of absenteeism
    ("m", 5): [],  # approved personal leave
    ("n", 11): ["2026-06-11T22:10:00", "2026-06-12T06:00:00"],  # overnight, late 10 minutes
}
LEAVES = """person_id,kind,start,end,status,requested_at,notified_at,certificate_at
a,sick,2026-06-08,2026-06-08,approved,2026-06-08T07:31,2026-06-08T07:31,2026-06-09
m,personal,2026-06-05,2026-06-05,approved,2026-06-01T10:00,,
"""
EXCEPTIONS = """date,person_id,reason
2026-06-10,,停电
"""


def punches_csv() -> str:
    rows = ["person_id,time"]
    shifts = {"a": ("08:30", "17:30", 0), "m": ("08:30", "17:30", 0), "n": ("22:00", "06:00", 1)}
    for pid, (start, end, next_day) in shifts.items():
        for d in JUNE_WORKING:
            if (pid, d) in SPECIAL:
                rows += [f"{pid},{t}" for t in SPECIAL[(pid, d)]]
                continue
            rows.append(f"{pid},2026-06-{d:02d}T{start}:00")
            out_day = d + next_day
            out_month = 6 if out_day <= 30 else 7
            rows.append(f"{pid},2026-{out_month:02d}-{(out_day - 1) % 30 + 1:02d} {end}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"roster": tmp_path / "R.csv", "punches": tmp_path / "P.csv", "leaves": tmp_path / "L.csv",
             "exceptions": tmp_path / "E.csv"}
    paths["roster"].write_text(ROSTER, encoding="utf-8")
    paths["punches"].write_text(punches_csv(), encoding="utf-8")
    paths["leaves"].write_text(LEAVES, encoding="utf-8")
    paths["exceptions"].write_text(EXCEPTIONS, encoding="utf-8")
    return paths


def args(files: dict[str, Path], month: str = "2026-06", *extra: str, optional: bool = True) -> list[str]:
    out = ["evaluate", "--roster", str(files["roster"]), "--punches", str(files["punches"])]
    if optional:
        out += ["--leaves", str(files["leaves"]), "--exceptions", str(files["exceptions"])]
    return [*out, "--month", month, *extra, "--format", "json"]


def run(argv: list[str]) -> tuple[dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("attendance", *argv, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def subprocess_run(argv: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run([sys.executable, "-m", "zhidu", "attendance", *argv], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)


def plain_day(date: str, status: str = "present") -> dict[str, Any]:
    return {"date": date, "status": status, "late_minutes": 0, "early_minutes": 0, "absent_days": "0", "leave": None,
            "clauses": ["P7.1"]}


# ------------------------------------------------------------------------------------ the contract


def test_evaluate_prints_the_exact_json_of_the_contract(files: dict[str, Path]) -> None:
    data, err = run(args(files))
    assert err == ""
    assert list(data) == ["month", "people"] and data["month"] == "2026-06"
    assert [p["person_id"] for p in data["people"]] == ["a", "m", "n"]
    for p in data["people"]:
        assert list(p) == ["person_id", "days", "summary"]
        assert len(p["days"]) == 30
        for d in p["days"]:
            assert list(d) == ["date", "status", "late_minutes", "early_minutes", "absent_days", "leave", "clauses"]
        assert list(p["summary"]) == ["late_count", "early_count", "absent_days", "fines_yuan", "deduction_yuan",
                                      "full_attendance_bonus", "actions"]
    a, m, n = data["people"]

    expected = {f"2026-06-{d:02d}": plain_day(f"2026-06-{d:02d}", "present" if d in JUNE_WORKING else "rest")
                for d in range(1, 31)}
    expected["2026-06-02"] = {"date": "2026-06-02", "status": "late", "late_minutes": 30, "early_minutes": 0,
                              "absent_days": "0", "leave": None, "clauses": ["P7.2", "P7.10"]}
    expected["2026-06-03"] = {"date": "2026-06-03", "status": "half_absent", "late_minutes": 31, "early_minutes": 0,
                              "absent_days": "0.5", "leave": None, "clauses": ["P7.4"]}
    expected["2026-06-04"] = {"date": "2026-06-04", "status": "half_absent", "late_minutes": 0, "early_minutes": 0,
                              "absent_days": "0.5", "leave": None, "clauses": ["P7.1"]}
    expected["2026-06-08"] = {"date": "2026-06-08", "status": "absent", "late_minutes": 0, "early_minutes": 0,
                              "absent_days": "1", "leave": "sick", "clauses": ["P7.5.2", "P7.5.1"]}
    expected["2026-06-09"] = {"date": "2026-06-09", "status": "absent", "late_minutes": 0, "early_minutes": 0,
                              "absent_days": "1", "leave": None, "clauses": ["P7.1", "P7.5.1"]}
    expected["2026-06-10"] = {"date": "2026-06-10", "status": "exception", "late_minutes": 0, "early_minutes": 0,
                              "absent_days": "0", "leave": None, "clauses": ["P10.2.3"]}
    assert a["days"] == list(expected.values())
    # 3 days of absenteeism (0.5 + 0.5 + 1 + 1), 8 and 9 consecutive → suspension; 3 × 3 × 3000 ÷ 21.75
    assert a["summary"] == {"late_count": 1, "early_count": 0, "absent_days": "3", "fines_yuan": "5.00",
                            "deduction_yuan": "1241.38", "full_attendance_bonus": False,
                            "actions": [{"action": "suspension", "clauses": ["P7.12"]}]}

    days_m = {d["date"]: d for d in m["days"]}
    assert days_m["2026-06-03"]["status"] == "early" and days_m["2026-06-03"]["early_minutes"] == 20
    assert days_m["2026-06-04"] == {"date": "2026-06-04", "status": "late", "late_minutes": 15, "early_minutes": 0,
                                    "absent_days": "1", "leave": None, "clauses": ["P7.2", "P7.10"]}
    assert days_m["2026-06-05"] == {"date": "2026-06-05", "status": "leave", "late_minutes": 0, "early_minutes": 0,
                                    "absent_days": "0", "leave": "personal", "clauses": ["P7.5", "P7.9", "P7.5.3"]}
    # 4 instances × 10 yuan; the 4th = 1 day of absenteeism: 3 × 6000 ÷ 21.75
    assert m["summary"] == {"late_count": 3, "early_count": 1, "absent_days": "1", "fines_yuan": "40.00",
                            "deduction_yuan": "827.59", "full_attendance_bonus": False, "actions": []}

    days_n = {d["date"]: d for d in n["days"]}
    assert days_n["2026-06-11"]["status"] == "late" and days_n["2026-06-11"]["late_minutes"] == 10
    assert days_n["2026-06-30"]["status"] == "present"  # out at 06:00 on 1 July
    assert n["summary"] == {"late_count": 1, "early_count": 0, "absent_days": "0", "fines_yuan": "5.00",
                            "deduction_yuan": "0.00", "full_attendance_bonus": False, "actions": []}


def test_rules_p11_deducts_percentages_instead_of_fines(files: dict[str, Path]) -> None:
    data, _err = run(args(files, "2026-06", "--rules", "P11"))
    m = data["people"][1]["summary"]
    # m was late 3 times (08:35, 08:31, 08:45): 1 % + 1 % + 5 % of 6000; the early leave costs nothing
    assert (m["late_count"], m["early_count"], m["fines_yuan"], m["deduction_yuan"]) == (3, 1, "0.00", "420.00")
    a = data["people"][0]
    day3 = next(d for d in a["days"] if d["date"] == "2026-06-03")
    assert (day3["status"], day3["late_minutes"], day3["absent_days"], day3["clauses"]) == ("late", 31, "0", ["P11.7"])


def test_leaves_and_exceptions_are_optional(files: dict[str, Path]) -> None:
    data, _err = run(args(files, optional=False))
    a = data["people"][0]
    assert next(d for d in a["days"] if d["date"] == "2026-06-10")["status"] == "absent"
    assert next(d for d in a["days"] if d["date"] == "2026-06-08")["clauses"] == ["P7.1", "P7.5.1"]


def test_a_month_the_calendar_does_not_know_is_evaluated_and_flagged_on_stderr(files: dict[str, Path]) -> None:
    data, err = run(args(files, "2027-03"))
    assert data["month"] == "2027-03"
    assert "2027-03" in err and err.strip()
    days = data["people"][0]["days"]
    assert [d["date"] for d in days if d["status"] == "rest"][:2] == ["2027-03-06", "2027-03-07"]


def test_excel_style_files_bom_crlf_and_quotes_are_read(files: dict[str, Path], tmp_path: Path) -> None:
    expected, _err = run(args(files))
    for key in ("roster", "punches"):
        text = files[key].read_text(encoding="utf-8")
        lines = text.splitlines()
        quoted = [lines[0]] + [",".join(f'"{cell}"' for cell in line.split(",")) for line in lines[1:]]
        files[key].write_bytes(("\ufeff" + "\r\n".join(quoted) + "\r\n").encode("utf-8"))
    data, _err = run(args(files))
    assert data == expected


# ------------------------------------------------------------------------------------ bad files


def test_every_bad_row_is_reported_with_file_line_and_reason_and_nothing_is_printed(files: dict[str, Path]) -> None:
    files["roster"].write_text(ROSTER + "x,甲,boss,2020-01-01,F,1995-01-01,3000,08:30,17:30\n"
                               "y,乙,staff,2020-13-01,Q,1995-01-01,-5,8h30,17:30\n"
                               "a,张三二,staff,,,,3000,08:30,17:30\n", encoding="utf-8")
    files["punches"].write_text("person_id,time\n"
                                "a,2026-06-01T08:29:00\n"
                                "zz,2026-06-01T08:29:00\n"
                                "a,2026-06-01 25:00\n"
                                "a,2026-06-01\n"
                                "a,2026-06-01T17:31:00,extra\n"
                                "a,2026-06-01T17:31:00+08:00\n"
                                "\n"
                                "m,2026-06-01T08:29:00\n", encoding="utf-8")
    files["leaves"].write_text(LEAVES + "a,vacation,2026-06-10,2026-06-09,approved,,,\n"
                               "a,sick,2026-06-10,2026-06-10,maybe,yesterday,,\n", encoding="utf-8")
    files["exceptions"].write_text("date,person_id,reason\n2026-06-31,,停电\n2026-06-10,nobody,停电\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("attendance", *args(files), stdout=out, stderr=err)
    assert out.getvalue() == ""
    lines = err.getvalue().splitlines()
    r, p, lv, e = (str(files[k]) for k in ("roster", "punches", "leaves", "exceptions"))
    expected_prefixes = [f"{r}:5:", f"{r}:6:", f"{r}:7:", f"{p}:3:", f"{p}:4:", f"{p}:5:", f"{p}:6:", f"{p}:7:",
                         f"{lv}:4:", f"{lv}:5:", f"{e}:2:", f"{e}:3:"]
    assert [line.split(" ", 1)[0] for line in lines] == expected_prefixes
    text = err.getvalue()
    for needle in ("rank “boss”", "hired_on “2020-13-01”", "gender “Q”", "base_salary “-5”", "shift_start “8h30”",
                   "person_id “a”重复", "person_id “zz”不在花名册中", "time “2026-06-01 25:00”", "time “2026-06-01”",
                   "应有 2 列，实有 3 列", "带有时区", "kind “vacation”", "早于", "status “maybe”",
                   "requested_at “yesterday”", "date “2026-06-31”", "person_id “nobody”"):
        assert needle in text, needle
    # the y row has four reasons on its one line
    assert lines[1].count("；") == 3


def test_a_missing_header_column_is_reported_once(files: dict[str, Path]) -> None:
    files["punches"].write_text("person_id,when\na,2026-06-01T08:29:00\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("attendance", *args(files), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [f"{files['punches']}:1: 表头缺少列 time（应为 person_id,time）"]


def test_a_bad_month_is_refused_by_the_argument_parser(files: dict[str, Path]) -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("attendance", *args(files, "2026-6"), stdout=io.StringIO(), stderr=io.StringIO())


# ------------------------------------------------------------------------------------ as a process


def test_the_command_runs_as_a_process_without_any_database(files: dict[str, Path], tmp_path: Path) -> None:
    expected, _err = run(args(files))
    result = subprocess_run(args(files), tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none?connect_timeout=1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    assert result.stderr == ""


def test_two_processes_give_the_same_bytes_as_one_and_no_sqlite_file_appears(files: dict[str, Path],
                                                                               tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    one = subprocess.run([sys.executable, "-m", "zhidu", "attendance", *args(files), "--jobs", "1"], cwd=tmp_path,
                         env={**env, "ZHIDU_DATA_DIR": str(tmp_path / "data")}, capture_output=True, text=True,
                         timeout=120, check=False)
    two = subprocess.run([sys.executable, "-m", "zhidu", "attendance", *args(files), "--jobs", "2"], cwd=tmp_path,
                         env={**env, "ZHIDU_DATA_DIR": str(tmp_path / "data")}, capture_output=True, text=True,
                         timeout=120, check=False)
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout == two.stdout and json.loads(two.stdout)["people"][2]["person_id"] == "n"
    assert not (tmp_path / "data" / "zhidu.sqlite3").exists()


def test_bad_rows_exit_non_zero_as_a_process(files: dict[str, Path], tmp_path: Path) -> None:
    files["punches"].write_text("person_id,time\nzz,2026-06-01T08:29:00\na,nonsense\n", encoding="utf-8")
    result = subprocess_run(args(files), tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{files['punches']}:2:" in result.stderr and f"{files['punches']}:3:" in result.stderr
