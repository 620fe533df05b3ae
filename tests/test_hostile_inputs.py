"""The corpus of hostile and broken inputs (issue 10): registers, configurations, run names, output folders and
interrupted runs, each run through the command line as a user would.

Every case asserts the exit status, that the message names the problem, that every input (and the bundled data)
is byte-for-byte unchanged, and that no file of the user's is deleted; a case that fails leaves the workspace
exactly as it was (no lock, no temporary folder). Registers are synthetic records written by the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import _hostile as h
import openpyxl
import pytest

from svcov.cli import main

OK, PROBLEM, USAGE = 0, 1, 2


@dataclass
class Case:
    """``argv`` to run (built in a workspace), the exit status, fragments the output must contain."""

    argv: list[str]
    code: int
    fragments: list[str]
    #: After the run: extra checks of the workspace (for cases that are meant to change it, e.g. recovery).
    then: Callable[[h.Workspace, str], None] | None = None
    changes_workspace: bool = False
    absent: list[str] = field(default_factory=list)


CASES: dict[str, Callable[[h.Workspace], Case]] = {}


def case(name: str):
    def register(build):
        CASES[name] = build
        return build
    return register


def _validate(ws: h.Workspace, path: Path, *extra: str) -> list[str]:
    return ["validate", "-q", "--config", str(ws.config()), "--facilities", str(path), *extra]


def _xlsx(ws: h.Workspace, name: str, rows: list[list], edit=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(book, sheet)
    path = ws.root / "inputs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


ROW = ["T1", "甲托育点", "普惠性托育点", 121.227, 31.005, 20, 2021, "某路 1 号"]

# --- registers --------------------------------------------------------------------------------------------------


@case("csv_only_a_bom")
def _(ws):
    return Case(_validate(ws, ws.file("bom.csv", b"\xef\xbb\xbf")), PROBLEM, ["bom.csv", "没有表头和数据"])


@case("csv_only_blank_lines")
def _(ws):
    return Case(_validate(ws, ws.file("blank.csv", "\n\n  \n\r\n")), PROBLEM, ["blank.csv", "没有表头和数据"])


@case("csv_repeated_header_different_columns")
def _(ws):
    path = ws.file("dup.csv", "编号,名称,类型,经度,纬度,经度\nT1,甲,普惠性托育点,121.227,31.005,121.3\n")
    return Case(_validate(ws, path), PROBLEM, ["表头「经度」出现两次", "D 列和 F 列", "删除或改名"])


@case("csv_repeated_header_same_columns")
def _(ws):
    path = ws.file("dup_same.csv", "编号,名称,类型,经度,纬度,名称\nT1,甲,普惠性托育点,121.227,31.005,甲\n")
    return Case(_validate(ws, path), OK, ["[警告 warning]", "表头「名称」出现两次", "两列内容相同", "通过 (OK)"])


@case("csv_two_headers_read_the_same")
def _(ws):
    path = ws.file("dup_norm.csv", "编号,名称,类型,经度,纬度,经度（GCJ02）\nT1,甲,普惠性托育点,121.227,31.005,121.3\n")
    return Case(_validate(ws, path), PROBLEM, ["列「经度」和「经度（GCJ02）」都可作为 longitude"])


@case("csv_blank_lines_keep_row_numbers")
def _(ws):
    text = "编号,名称,类型,经度,纬度\nT1,甲,普惠性托育点,121.227,31.005\n\n\nT2,乙,普惠性托育点,abc,31.005\n"
    return Case(_validate(ws, ws.file("gaps.csv", text)), PROBLEM, ["第 5 行", "列「经度」", "'abc'"],  # line 5
                absent=["第 3 行"])


@case("csv_comma_decimal")
def _(ws):
    path = ws.file("comma.csv", h.csv_text([["T1", "甲", "普惠性托育点", "121,3015", "31,005", 20, 2021, ""]]))
    return Case(_validate(ws, path), PROBLEM, ["'121,3015'", "逗号看起来是小数点", "121.3015", "decimal comma"])


@case("csv_unclosed_quote")
def _(ws):
    path = ws.file("quote.csv", '编号,名称,类型,经度,纬度\nT1,"甲,普惠性托育点,121.227,31.005\nT2,乙,普惠性托育点,1,2\n')
    return Case(_validate(ws, path), PROBLEM, ["CSV 格式错误", "引号没有闭合"])


@case("csv_control_characters")
def _(ws):
    path = ws.file("ctrl.csv", h.csv_text([["T1", "甲\x0b托育\x01点", "普惠性托育点", 121.227, 31.005, 20, 2021, ""]]))
    return Case(_validate(ws, path), OK, ["单元格 B2", "控制字符", "已删除", "通过 (OK)"])


@case("geojson_control_characters")
def _(ws):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.227, 31.005]},
               "properties": {"名称": "甲\u000b托育点", "类型": "普惠性托育点"}}
    path = ws.file("ctrl.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return Case(_validate(ws, path), OK, ["ctrl.geojson", "不可见的控制字符", "通过 (OK)"])


@case("csv_data_without_header")
def _(ws):
    path = ws.file("nohead.csv", "编号,名称,类型,经度,纬度,\nT1,甲,普惠性托育点,121.227,31.005,备注\n")
    return Case(_validate(ws, path), OK, ["第 F 列有数据但没有表头", "已忽略"])


@case("csv_utf16_unicode_text")
def _(ws):
    text = "编号\t名称\t类型\t经度\t纬度\r\nT1\t{{7*7}}托育点\t普惠性托育点\t121.227\t31.005\r\n"
    path = ws.file("unicode.txt", text.encode("utf-16"))
    return Case(_validate(ws, path), OK, ["通过 (OK)", "1 条记录"])


@case("csv_gbk_with_unmappable_bytes")
def _(ws):
    path = ws.file("mixed.csv", "编号,名称\nT1,甲\n".encode("gbk") + b"\xff\xfe\xfd,\x80\n")
    return Case(_validate(ws, path), PROBLEM, ["无法识别文件编码", "CSV UTF-8"])


@case("csv_infinite_number")
def _(ws):
    path = ws.file("inf.csv", h.csv_text([["T1", "甲", "普惠性托育点", "1e400", 31.005, 20, 2021, ""]]))
    return Case(_validate(ws, path), PROBLEM, ["'1e400'", "不是有限数"])


@case("xlsx_merged_cells")
def _(ws):
    rows = [h.HEADER] + [[f"T{i}", f"点{i}", "普惠性托育点", 121.22 + i / 1000, 31.005, 20, 2021 if i == 0 else None,
                          ""] for i in range(5)]
    path = _xlsx(ws, "merged.xlsx", rows, lambda book, sheet: sheet.merge_cells("G2:G6"))
    return Case(_validate(ws, path), OK, ["合并单元格 G2:G6", "2021", "已填入", "5 条记录"])


@case("xlsx_formula_without_saved_result")
def _(ws):
    path = _xlsx(ws, "formula.xlsx", [h.HEADER, ["T1", "甲", "普惠性托育点", 121.227, 31.005, "=10*2", 2021, ""]])
    return Case(_validate(ws, path), OK, ["单元格 F2 是公式", "=10*2", "没有保存它的计算结果", "读作空值"])


@case("xlsx_empty_coordinate_cell")
def _(ws):
    path = _xlsx(ws, "nocoord.xlsx", [h.HEADER, ["T1", "甲", "普惠性托育点", None, 31.005, 20, 2021, ""], ROW])
    return Case(_validate(ws, path), PROBLEM, ["第 2 行", "列「经度」", "缺少经纬度"], absent=["不在任何街镇内"])


@case("xlsx_data_on_another_sheet")
def _(ws):
    def second(book, sheet):
        sheet.title = "填表说明"
        sheet["A1"] = "本表为 2023 年托育机构名册"
        data = book.create_sheet("名册")
        data.append(h.HEADER)
        data.append(ROW)
    path = _xlsx(ws, "sheets.xlsx", [], second)
    return Case(_validate(ws, path), PROBLEM, ["工作表「填表说明」", "「名册」", "sheet:"])


@case("xlsx_truncated_file")
def _(ws):
    good = _xlsx(ws, "good.xlsx", [h.HEADER, ROW])
    path = ws.file("truncated.xlsx", good.read_bytes()[:2000])
    good.unlink()
    return Case(_validate(ws, path), PROBLEM, ["truncated.xlsx", "无法打开 Excel 文件"])


@case("xlsx_title_row_above_the_header")
def _(ws):
    def title(book, sheet):
        sheet.insert_rows(1)
        sheet["A1"] = "松江区托育机构名册 (2023)"
        sheet.merge_cells("A1:H1")
    path = _xlsx(ws, "title.xlsx", [h.HEADER, ROW], title)
    return Case(_validate(ws, path), PROBLEM, ["缺少必需的列「name」"])


@case("register_with_payload_names_passes_as_text")
def _(ws):
    path = ws.file("payloads.csv", h.csv_text(h.register_rows(list(h.PAYLOADS))))
    return Case(_validate(ws, path), OK, ["通过 (OK)", f"{len(h.PAYLOADS)} 条记录"],
                then=lambda ws, out: _no_pwned(ws))


def _no_pwned(ws):
    assert not any(p.name == "svcov-pwned" for p in ws.root.rglob("*"))
    assert not Path("svcov-pwned").exists()


@case("command_line_unknown_coordinate_system")
def _(ws):
    path = ws.file("ok.csv", h.csv_text([ROW]))
    return Case(_validate(ws, path, "--coords", "mars"), USAGE, ["--coords", "未知的坐标系 'mars'"])


# --- configurations ---------------------------------------------------------------------------------------------


def _validate_config(path: Path) -> list[str]:
    return ["validate", "-q", "--config", str(path)]


for _crs, _words in (("EPSG:999999", ["无法识别的坐标系"]), ("EPSG:4326", ["不是以米为单位的投影坐标系"]),
                     ("EPSG:3857", ["墨卡托投影"])):
    def _crs_case(ws, crs=_crs, words=_words):
        return Case(_validate_config(ws.config(changes={"crs_metric": crs})), PROBLEM,
                    ["crs_metric", repr(crs), *words, "EPSG:32651"])
    CASES[f"config_crs_metric_{_crs.replace(':', '_')}"] = _crs_case


@case("config_key_written_twice")
def _(ws):
    text = h.BUNDLED.read_text(encoding="utf-8").replace("report_year: 2023", "report_year: 2023\nyears: [2023]")
    lines = text.splitlines()
    first, second = (1 + i for i, line in enumerate(lines) if line.startswith("years:"))
    path = ws.config(text=text)
    return Case(_validate_config(path), PROBLEM, ["键「years」在同一层写了两次", f"第 {first} 行和第 {second} 行"])


@case("config_billion_laughs")
def _(ws):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("run_name: *i")
    started = time.perf_counter()
    built = Case(_validate_config(ws.config(text="\n".join(lines) + "\n")), PROBLEM,
                 ["别名", "100,000", "refused"])
    built.then = lambda ws, out: _fast(started)
    return built


def _fast(started: float) -> None:
    assert time.perf_counter() - started < 20          # refused at once, not after minutes and gigabytes


@case("config_alias_cycle")
def _(ws):
    return Case(_validate_config(ws.config(text="run_name: &a [1, *a]\n")), PROBLEM, ["别名引用了它自己"])


@case("config_nested_too_deeply")
def _(ws):
    return Case(_validate_config(ws.config(text="run_name: " + "[" * 5000 + "]" * 5000 + "\n")), PROBLEM,
                ["嵌套太深"])


@case("config_python_object_tag")
def _(ws):
    text = "run_name: !!python/object/apply:os.system ['touch svcov-pwned']\n"
    return Case(_validate_config(ws.config(text=text)), PROBLEM, ["YAML 语法错误"], then=lambda ws, out: _no_pwned(ws))


@case("config_control_character_escape")
def _(ws):
    return Case(_validate_config(ws.config(text='run_name: "songjiang\\v"\n')), PROBLEM, ["第 1 行", "不可见的控制字符"])


@case("config_not_utf8")
def _(ws):
    path = ws.file("gbk.yaml", "run_name: 松江\n", encoding="gbk")
    return Case(_validate_config(path), PROBLEM, ["不是 UTF-8 编码"])


@case("config_missing_facility_types_file")
def _(ws):
    path = ws.config(changes={"facility_types": str(ws.root / "没有这个文件.yaml")})
    return Case(_validate_config(path), PROBLEM, ["facility_types", "找不到类型文件", "没有这个文件.yaml", "第 "])


@case("config_broken_facility_types_file")
def _(ws):
    types = ws.file("types.yaml", "types:\n  - key: Bad Key\n    name_zh: 托育\n")
    return Case(_validate_config(ws.config(changes={"facility_types": str(types)})), PROBLEM,
                ["类型文件 types.yaml 第 2 行", "'Bad Key'"])


for _name, _words in ((".", ["「.」或「..」"]), ("..", ["「.」或「..」"]), ("CON", ["保留设备名"]),
                      ("../escape", ["不能有 /"]), ("name.", ["不能以「.」结尾"]), (".hidden", ["不能以「.」开头"]),
                      ("two words", ["不能有"])):
    def _run_name_case(ws, name=_name, words=_words):
        return Case(["run", "-q", "--config", str(ws.config(changes={"run_name": name}))], PROBLEM,
                    ["run_name", repr(name), *words])
    CASES[f"config_run_name_{_name!r}"] = _run_name_case


@case("config_outputs_dir_is_the_users_folder_and_run_name_dot")
def _(ws):
    path = ws.config(changes={"run_name": ".", "outputs": {"dir": str(ws.root / "work")}})
    return Case(["run", "-q", "--config", str(path)], PROBLEM, ["run_name", "「.」"])


# --- scenarios (issue 13): a scenario's register is read by the run's register loader, its file like a config ----


def _scenario_run(ws: h.Workspace, scenario: str) -> list[str]:
    path = ws.file("情景.yaml", scenario)
    return ["run", "-q", "--config", str(ws.config()), "--out", str(ws.outputs / "run"), "--scenario", str(path)]


@case("scenario_register_with_a_bad_coordinate")
def _(ws):
    register = ws.file("情景新增.csv", h.csv_text([["X1", "甲点", "普惠性托育点", "121.2x", 31.01, 20, 2021, "某路"]]))
    text = f"name: bad\nlabel_zh: 坏名册\nadd:\n  - path: {register}\n    label_zh: 情景名册\n"
    return Case(_scenario_run(ws, text), PROBLEM, ["情景新增.csv", "第 2 行", "121.2x"])


@case("scenario_closing_an_unknown_id_beside_payload_names")
def _(ws):
    register = ws.file("情景新增.csv", h.csv_text(h.register_rows(["{{7*7}}点", "=cmd|' /C calc'!A0"])))
    text = (f"name: payloads\nlabel_zh: \"=HYPERLINK(1)\"\nadd:\n  - path: {register}\n    label_zh: x\n"
            "close: [node/0]\n")
    return Case(_scenario_run(ws, text), PROBLEM, ["没有这些编号的设施: node/0", "情景.yaml"],
                then=lambda ws, out: _no_pwned(ws))


@case("scenario_file_with_a_python_tag")
def _(ws):
    text = "name: !!python/object/apply:os.system ['touch svcov-pwned']\nlabel_zh: x\nclose: [a]\n"
    return Case(_scenario_run(ws, text), PROBLEM, ["情景.yaml", "YAML 语法错误"], then=lambda ws, out: _no_pwned(ws))


@case("scenario_file_with_an_unknown_key_and_a_bad_name")
def _(ws):
    return Case(_scenario_run(ws, "name: a/b\nlabel_zh: x\nclose: [a]\nremove: [b]\n"), PROBLEM,
                ["情景.yaml", "remove", "scenario.name", "'a/b'"])


# --- output folders ---------------------------------------------------------------------------------------------


def _run_out(ws: h.Workspace, out: str | Path, **changes) -> list[str]:
    return ["run", "-q", "--config", str(ws.config(changes=changes or None)), "--out", str(out)]


@case("out_folder_holds_the_users_files")
def _(ws):
    return Case(_run_out(ws, ws.outputs), PROBLEM, [str(ws.outputs), "不是 svcov 写的运行文件夹", "--out"])


@case("out_dot_is_the_users_working_folder")
def _(ws):
    os.chdir(ws.root / "work")
    return Case(_run_out(ws, "."), PROBLEM, [str(ws.root / "work"), "不会替换"])


@case("out_dot_dot")
def _(ws):
    os.chdir(ws.root / "work")
    return Case(_run_out(ws, ".."), PROBLEM, ["不是 svcov 写的运行文件夹"])


@case("out_is_a_file")
def _(ws):
    return Case(_run_out(ws, ws.outputs / "我的论文.docx"), PROBLEM, ["是一个文件", "不会删除它"])


def _svcov_folder(ws: h.Workspace, name: str = "run") -> Path:
    from svcov.files import RunFolder, atomic_write_text

    final = ws.outputs / name
    with RunFolder(final) as folder:
        atomic_write_text(folder.path("report.html"), "<p>svcov</p>")
        folder.write_manifest({})
        folder.commit()
    return final


@case("out_svcov_folder_with_a_file_the_user_added")
def _(ws):
    final = _svcov_folder(ws)
    (final / "批注.docx").write_bytes(b"the user's comments")
    return Case(_run_out(ws, final), PROBLEM, ["批注.docx", "不是那次运行写的或被修改过的文件"])


@case("out_svcov_folder_with_a_report_the_user_edited")
def _(ws):
    final = _svcov_folder(ws)
    (final / "report.html").write_text("<p>edited</p>", encoding="utf-8")
    return Case(_run_out(ws, final), PROBLEM, ["report.html", "被修改过"])


@case("out_folder_locked_by_a_running_svcov")
def _(ws):
    final = ws.outputs / "busy"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from svcov.files import RunFolder
        folder = RunFolder({str(final)!r})
        print("locked", flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    ws.holders.append(holder)                       # stopped by the fixture, whatever happens
    assert holder.stdout.readline().strip() == "locked"
    return Case(_run_out(ws, final), PROBLEM, [f"PID {holder.pid}", "另一个 svcov 运行", "正在写", str(final)])


# --- interrupted runs -------------------------------------------------------------------------------------------


def _killed_run(final: Path, code: str) -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os
        from svcov import files
        folder = files.RunFolder({str(final)!r})
        files.atomic_write_text(folder.path("map.html"), "half")
        {code}
        os._exit(9)
    """)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr


def _broken_register_config(ws: h.Workspace) -> Path:
    """A configuration whose register has an error: the run stops at its first stage, after the folder checks."""
    bad = ws.file("bad.csv", h.csv_text([["T1", "甲", "托儿所", 121.227, 31.005, 20, 2021, ""]]))
    return ws.config(changes={"facilities": [{"path": str(bad), "label_zh": "坏名册"}]})


@case("interrupted_run_left_a_partial_folder")
def _(ws):
    final = _svcov_folder(ws)
    before = h.tree(final)
    _killed_run(final, "")

    def then(ws, out):
        assert h.tree(final) == before
        assert sorted(p.name for p in ws.outputs.iterdir()) == ["notes", "run", "我的论文.docx"]
    return Case(["run", "-q", "--config", str(_broken_register_config(ws)), "--out", str(final)], PROBLEM,
                ["已删除中断的运行留下的临时文件夹", "未知的设施类型"], then=then, changes_workspace=True)


@case("interrupted_swap_left_only_the_old_folder")
def _(ws):
    final = _svcov_folder(ws)
    before = h.tree(final)
    _killed_run(final, "folder.write_manifest({})\n"
                       "        files.os.replace(folder.final, folder.final.with_name(files.old_name('run', "
                       "'00000000')))")
    assert not final.exists()

    def then(ws, out):
        assert h.tree(final) == before                      # the previous results are back where they were
        assert sorted(p.name for p in ws.outputs.iterdir()) == ["notes", "run", "我的论文.docx"]
    return Case(["run", "-q", "--config", str(_broken_register_config(ws)), "--out", str(final)], PROBLEM,
                ["已把之前的结果恢复到", str(final)], then=then, changes_workspace=True)


@case("interrupted_runs_of_another_run_name_beside_it")
def _(ws):
    other = _svcov_folder(ws, "other")
    _killed_run(other, "")
    final = ws.outputs / "run"

    def then(ws, out):
        assert not any(p.name.endswith(".partial") for p in ws.outputs.iterdir())
    return Case(["run", "-q", "--config", str(_broken_register_config(ws)), "--out", str(final)], PROBLEM,
                [".other.", "已删除中断的运行留下的临时文件夹"], then=then, changes_workspace=True)


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setenv("SVCOV_LOG_DIR", str(tmp_path / "crash-logs"))     # a bug would leave a log here
    monkeypatch.chdir(tmp_path)
    workspace = h.Workspace(tmp_path / "ws")
    workspace.holders = []
    yield workspace
    for holder in workspace.holders:
        holder.kill()
        holder.wait()
        holder.stdout.close()


@pytest.fixture(scope="module")
def bundled_before():
    return h.bundled_inputs()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name, ws, capsys, bundled_before):
    built = CASES[name](ws)
    before = ws.snapshot()
    capsys.readouterr()
    try:
        code = main(built.argv)
    except SystemExit as stop:                                             # argparse: wrong arguments
        code = stop.code
    out = capsys.readouterr()
    text = out.out + out.err
    if built.then is not None:
        built.then(ws, text)
    assert code == built.code, text
    for fragment in built.fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    for fragment in built.absent:
        assert fragment not in text, text
    assert "Traceback" not in text and "内部错误" not in text
    assert not (ws.root.parent / "crash-logs").exists(), "an internal error was logged"
    assert ws.user_files_intact(), "a user's file was deleted or changed"
    if not built.changes_workspace:
        assert ws.snapshot() == before, "an input changed, or the run left something behind"
    else:
        inputs = {k: v for k, v in before.items() if k.startswith("inputs/")}
        assert {k: v for k, v in ws.snapshot().items() if k.startswith("inputs/")} == inputs
        assert not any(p.name.endswith(".lock") for p in ws.root.rglob("*")), "a lock was left behind"
    assert h.bundled_inputs() == bundled_before


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40, len(CASES)


# --- a full disk, for real (needs root and a tmpfs; skipped elsewhere) ------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB file system: a run's layers do not fit. Needs root and mount; skipped with the reason otherwise."""
    point = tmp_path / "small_disk"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(point)], capture_output=True,
                             text=True, check=False) if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip("a real full disk needs root and 'mount -t tmpfs' (not available here)")
    yield point
    subprocess.run(["umount", str(point)], check=False)


def test_a_full_disk_stops_the_run_with_a_message(full_disk, ws, capsys, bundled_before):
    config = ws.config()
    before = ws.snapshot()
    code = main(["run", "-q", "--config", str(config), "--out", str(full_disk / "run")])
    text = "".join(capsys.readouterr())
    assert code == PROBLEM, text
    assert "磁盘空间不足" in text and "the disk is full" in text and "Traceback" not in text
    assert list(full_disk.iterdir()) == []                 # no half run, no temporary folder, no lock
    assert ws.snapshot() == before and h.bundled_inputs() == bundled_before
