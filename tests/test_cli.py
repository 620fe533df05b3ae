"""The svcov command line as a user meets it: help, wrong arguments, exit codes."""

from __future__ import annotations

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
