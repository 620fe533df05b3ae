"""The svcov command line as a user meets it: help, wrong arguments, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from svcov.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "validate" in out and "run" in out and "15 分钟" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: svcov" in capsys.readouterr().out


def test_unknown_option_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--no-such-option"])
    assert info.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_missing_config_file_is_a_clear_error(capsys, tmp_path):
    assert main(["validate", "--config", str(tmp_path / "nope.yaml")]) == 1
    assert "找不到文件" in capsys.readouterr().err


def test_validate_default_config_passes(capsys):
    assert main(["validate", "-q", "--config", str(ROOT / "data" / "config" / "songjiang.yaml")]) == 0
    out = capsys.readouterr()
    assert "通过 (OK)" in out.out and "17 个街镇" in out.out and "估算" in out.out
    assert "未命名 node/5877659045" in out.err  # the OSM kindergarten without a name is warned about


def test_validate_good_register(capsys):
    code = main(["validate", "-q", "--coords", "gcj02", "--facilities",
                 str(ROOT / "tests" / "data" / "good" / "register_gcj02.xlsx")])
    assert code == 0
    assert "3 条记录" in capsys.readouterr().out


def test_python_dash_m_coverage_is_svcov():
    result = subprocess.run([sys.executable, "-m", "svcov", "--version"], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    assert result.returncode == 0 and result.stdout.startswith("svcov ")


def test_site_k_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["site", "--k", "0"])
    assert info.value.code == 2
    assert "不小于 1 的整数" in capsys.readouterr().err


# --- every failure is a message; a bug leaves a crash log (issue 10) ----------------------------------------------


def _boom(exc):
    def command(args):
        raise exc
    return command


@pytest.fixture
def crash_dir(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv("SVCOV_LOG_DIR", str(folder))
    return folder


def test_an_internal_error_is_one_line_a_crash_log_and_exit_3(capsys, monkeypatch, crash_dir):
    from svcov import cli

    monkeypatch.setattr(cli, "_cmd_validate", _boom(KeyError("pop_0_3")))
    assert main(["validate"]) == cli.EXIT_BUG == 3
    err = capsys.readouterr().err
    assert "内部错误" in err and "a bug in svcov" in err and "KeyError: 'pop_0_3'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    logs = list(crash_dir.iterdir())
    assert len(logs) == 1 and str(logs[0]) in err
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "KeyError: 'pop_0_3'" in text
    assert "command: svcov validate" in text


@pytest.mark.parametrize("where", [["--debug", "validate"], ["validate", "--debug"]])
def test_debug_shows_the_traceback(capsys, monkeypatch, crash_dir, where):
    from svcov import cli
    from svcov.errors import ConfigError, Problem

    monkeypatch.setattr(cli, "_cmd_validate", _boom(ConfigError("x.yaml", [Problem("x.yaml", "坏了", "broken")])))
    assert main(where) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "错误 (error): 文件 x.yaml" in err


@pytest.mark.parametrize("exc, fragments", [
    (OSError(28, "No space left on device", "/data/out/layers.gpkg"), ["/data/out/layers.gpkg", "磁盘空间不足",
                                                                       "disk is full"]),
    (PermissionError(13, "Permission denied", "report.docx"), ["report.docx", "Excel/Word/WPS"]),
    (MemoryError(), ["内存不足", "out of memory"]),
])
def test_machine_problems_exit_1_with_what_to_do(capsys, monkeypatch, crash_dir, exc, fragments):
    from svcov import cli

    monkeypatch.setattr(cli, "_cmd_validate", _boom(exc))
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err
    assert not crash_dir.exists()                                 # not a bug: no crash log


def test_a_gbk_console_never_breaks_the_output(tmp_path):
    """A Chinese Windows console cannot encode every character of a register (here: an emoji and ≥)."""
    register = tmp_path / "名册😀≥.csv"
    register.write_text("编号,名称,类型,经度,纬度\nT1,托育点😀≥,普惠性托育点,121.227,31.005\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "svcov", "validate", "--facilities", str(register)], cwd=ROOT,
                            capture_output=True, env={**os.environ, "PYTHONIOENCODING": "gbk"}, check=False)
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    assert "通过 (OK)".encode("gbk") in result.stdout


@pytest.mark.parametrize("platform, env, expected", [
    ("win32", {"LOCALAPPDATA": "C:/Users/me/AppData/Local"}, "C:/Users/me/AppData/Local/svcov/logs"),
    ("darwin", {}, "Library/Logs/svcov"),
    ("linux", {"XDG_STATE_HOME": "/home/me/.state"}, "/home/me/.state/svcov/logs"),
])
def test_crash_log_folder_per_platform(monkeypatch, platform, env, expected):
    from svcov import cli

    monkeypatch.delenv("SVCOV_LOG_DIR", raising=False)
    for key in ("LOCALAPPDATA", "XDG_STATE_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(cli.sys, "platform", platform)
    assert cli.crash_log_dir().as_posix().endswith(expected)


def test_a_crash_log_goes_to_the_temporary_folder_when_the_log_folder_is_unwritable(capsys, monkeypatch,
                                                                                     tmp_path):
    import tempfile

    from svcov import cli

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SVCOV_LOG_DIR", str(blocker / "logs"))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(cli, "_cmd_validate", _boom(RuntimeError("boom")))
    assert main(["validate"]) == 3
    logs = list((tmp_path / "tmp" / "svcov-logs").iterdir())
    assert len(logs) == 1 and str(logs[0]) in capsys.readouterr().err


def test_validate_a_register_says_which_type_file(capsys):
    assert main(["validate", "-q", "--facilities", str(ROOT / "tests" / "data" / "good" / "register_utf8.csv")]) == 0
    err = capsys.readouterr().err
    assert "设施类型 (types):" in err and "facility_types_childcare.yaml" in err and "--config" in err


def test_validate_boundaries_that_overlap(capsys):
    assert main(["validate", "-q", "--boundaries", str(ROOT / "data" / "boundaries" /
                                                       "shanghai_jiezhen_217_osm.geojson")]) == 1
    err = capsys.readouterr().err
    assert "东明路街道 位于 三林镇 之内: 4.90 平方公里" in err and "boundaries.overlaps: resolve" in err


@pytest.mark.parametrize("argv, message", [
    (["run", "--skip", "maps"], "invalid choice: 'maps'"),
    (["run", "--skip", "siting", "--only", "rules"], "not allowed with argument"),
])
def test_stage_arguments_are_checked(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err
