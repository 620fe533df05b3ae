"""Another service, another district, by configuration only: elderly care (养老) on the real Jing'an/Huangpu OSM
street network of tests/data, with its own types, population groups, attributes, rule file and two travel profiles.

The inputs are in tests/data/elderly/ (real OSM 街镇 clipped to the network's outline; synthetic facilities and
population, made by tests/data/make_elderly_case.py). No output file — HTML, the map's script, Word, PDF text,
XLSX and CSV, GeoPackage field names and values, the manifest — nor the log may carry a childcare word.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

import svcov
from svcov.cli import main
from svcov.errors import ConfigError, InfeasibleError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "data" / "elderly" / "elderly.yaml"
#: Words of the childcare service that must not appear anywhere in the outputs of another service.
CHILDCARE_WORDS = ("0-3", "儿童", "托育", "托位", "托班")


@pytest.fixture(scope="module")
def elderly_run(tmp_path_factory):
    """``svcov run`` of the elderly-care configuration on the network, with its log."""
    out = tmp_path_factory.mktemp("elderly") / "run"
    logger = logging.getLogger("svcov")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    log_file = out.parent / "run.log"
    try:
        import contextlib
        import io

        err, std = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            code = main(["run", "-v", "-c", str(CONFIG), "--out", str(out)])
        log_file.write_text(std.getvalue() + err.getvalue(), encoding="utf-8")
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    assert code == 0, log_file.read_text(encoding="utf-8")[-3000:]
    return out, log_file.read_text(encoding="utf-8")


def _texts(out: Path):
    """(file name, text) of every output file: whole text files, the XML of Word/Excel, PDF text, GPKG fields and
    values."""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if path.suffix in (".html", ".csv", ".json"):
            yield rel, path.read_text(encoding="utf-8-sig")
        elif path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                yield rel, "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        elif path.suffix == ".pdf" and shutil.which("pdftotext"):
            yield rel, subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                      check=True).stdout
        elif path.suffix == ".gpkg":
            for layer, _ in pyogrio.list_layers(path):
                frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
                yield f"{rel}:{layer}", " ".join(frame.columns) + "\n" + frame.astype(str).to_csv()


def test_no_output_and_no_log_line_uses_a_childcare_word(elderly_run):
    out, log = elderly_run
    seen = dict(_texts(out))
    assert {"map.html", "report.html", "report.docx", "tables/coverage.csv", "tables/coverage.xlsx",
            "manifest.json"} <= set(seen)
    assert any(name.startswith("service_areas.gpkg:") for name in seen)
    if shutil.which("pdftotext"):
        assert "report.pdf" in seen
    hits = [(name, word, text[max(0, m.start() - 30): m.end() + 30]) for name, text in [*seen.items(), ("log", log)]
            for word in CHILDCARE_WORDS for m in re.finditer(re.escape(word), text)]
    assert hits == []


def test_outputs_speak_of_the_elderly_group_beds_and_both_profiles(elderly_run):
    out, log = elderly_run
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "60 岁及以上老人能否在老人步行 15 分钟内到达社区养老服务设施" in report
    assert "三、各出行方式的 15 分钟覆盖率" in report and "五、「一街镇一中心」布局" in report
    coverage = pd.read_csv(out / "tables" / "coverage.csv", encoding="utf-8-sig")
    assert set(coverage["人群"]) == {"60 岁及以上老人", "常住人口"}
    assert set(coverage["出行方式"]) == {"老人步行", "一般步行"} and set(coverage["出行时间计算方式"]) == {"network"}
    circle = coverage[(coverage["服务代码"] == "elderly_care") & (coverage["街镇代码"] == "全区")
                      & (coverage["人群代码"] == "elderly_60") & (coverage["时间阈值(分钟)"] == 15)
                      & (coverage["年份"] == 2025)].set_index("出行方式代码")["覆盖率"]
    assert 0 < circle["elderly_walk"] < circle["walk"] <= 1          # slower walkers reach less
    capacity = pd.read_csv(out / "tables" / "capacity_2sfca.csv", encoding="utf-8-sig")
    assert "每百名60岁及以上老人可达床位(2SFCA)" in capacity.columns
    facilities = pd.read_csv(out / "tables" / "facilities.csv", encoding="utf-8-sig")
    assert {"床位数", "餐位数", "设康复室"} <= set(facilities.columns)
    assert (facilities["在本区外的距离(米)"] > 200).sum() == 1          # kept across the border
    status = pd.read_csv(out / "tables" / "rule_status.csv", encoding="utf-8-sig")
    status = status[(status["年份"] == 2025) & (status["街镇代码"] == "全区")].set_index("规则编号")
    assert "张床位" in status.loc["new_beds", "目标"] and "个餐位" in status.loc["meal_seats", "现状"]
    # beds ≥ 30 in the district: Y02 41, Y05 32, Y08 52 (Y10, 49 beds, lies across the border: not counted)
    assert status.loc["big_day_care", "现状"] == "3 个"
    page = (out / "map.html").read_text(encoding="utf-8")
    for word in ("床位数", "餐位数", "设康复室", "60 岁及以上老人", "老人步行 5/10/15 分钟范围", "「一街镇一中心」"):
        assert json.dumps(word)[1:-1] in page, word      # texts are JSON strings in the page's script
    fit = pd.read_csv(out / "tables" / "network_fit.csv", encoding="utf-8-sig")
    assert fit["路网覆盖足够"].eq("是").all()
    assert "路网看起来是机动车路网" in log


def test_the_python_api_follows_the_configuration():
    run = svcov.open_run(CONFIG)
    model = run.travel_model()
    assert model.mode == "network" and model.profile == "elderly_walk" and model.walk_speed_kph == 3.0
    assert run.travel_model("walk").walk_speed_kph == 4.0
    assert "network" in repr(run) and "老人步行 3 km/h" in repr(run)
    estimate = svcov.open_run(CONFIG, straight_line=True).travel_model()
    assert estimate.is_fallback and "估算" in estimate.description_zh


def _infeasible(tmp_path: Path) -> Path:
    """The elderly configuration, straight-line, asking one new site to give 淮海中路 and 豫园 (the two 街镇
    without one) an integrated service centre each: infeasible."""
    text = CONFIG.read_text(encoding="utf-8").replace("require_in_each_jiezhen: false",
                                                      "require_in_each_jiezhen: true")
    text = text.replace("facility_type: day_care_centre", "facility_type: integrated_service_centre")
    text = text.replace("  source: ../shanghai_jingan_drive_osm.osm", "  source: none")
    for name in ("huangpu_jiezhen_in_network.geojson", "elderly_facilities_synthetic.csv",
                 "population_60plus_synthetic.csv", "rules_elderly.yaml"):
        shutil.copy(CONFIG.parent / name, tmp_path / name)
    text = text.replace("../../../data/config/facility_types_elderly.yaml",
                        str(ROOT / "data" / "config" / "facility_types_elderly.yaml"))
    text = text.replace("sites_per_year: {2025: 2}", "sites_per_year: {2025: 1}")
    path = tmp_path / "elderly.yaml"
    path.write_text(text.replace("dir: ../../../outputs", f"dir: {tmp_path / 'outputs'}"), encoding="utf-8")
    return path


def test_an_infeasible_siting_still_writes_everything_else(tmp_path, capsys):
    config = _infeasible(tmp_path)
    out = tmp_path / "run"
    assert main(["run", "-q", "-c", str(config), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "选址未完成, 其余结果已写出" in err
    diagnostics = pd.read_csv(out / "tables" / "siting_diagnostics.csv", encoding="utf-8-sig")
    assert diagnostics["状态"].iloc[0] == "未完成 (not solved)"
    assert "2 个街镇共需新增至少 2 个综合为老服务中心" in diagnostics["说明"].iloc[0]
    assert "sites_per_year" in diagnostics["如何修改"].iloc[0]
    for name in ("map.html", "report.html", "tables/coverage.csv", "tables/rule_status.csv"):
        assert (out / name).is_file(), name
    assert not (out / "memos").exists() and not (out / "tables" / "proposed_sites.csv").exists()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "本次选址没有完成" in report and "名额" in report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "选址模型无解" in manifest["settings"]["siting_problem"]


def test_partial_runs_skip_and_only(tmp_path):
    config = _infeasible(tmp_path)
    cfg = svcov.open_run(config).config
    skipped = svcov.open_run(replace(cfg, siting=replace(cfg.siting, require_in_each_jiezhen=False)))
    result = skipped.write(tmp_path / "no_siting", skip=("siting",))
    assert result.stages == ("access", "rules", "documents") and result.siting_problem is None
    assert (result.out_dir / "report.html").is_file() and not (result.out_dir / "siting.gpkg").exists()
    assert "六、建议新增点位" not in (result.out_dir / "report.html").read_text(encoding="utf-8")
    only = skipped.write(tmp_path / "rules_only", only=("rules",))
    assert only.stages == ("rules",)
    files = {p.relative_to(only.out_dir).as_posix() for p in only.out_dir.rglob("*") if p.is_file()}
    assert "tables/rule_status.csv" in files and "tables/data_summary.csv" in files
    assert not any(f.startswith(("map", "report", "tables/coverage")) for f in files)
    notes = json.loads((only.out_dir / "manifest.json").read_text(encoding="utf-8"))["notes"]
    assert any("本次运行跳过: 选址 (siting)" in n for n in notes)
    status = pd.read_csv(only.out_dir / "tables" / "rule_status.csv", encoding="utf-8-sig")
    assert status.loc[status["规则编号"] == "circle_15min", "状态"].eq("数据不足").all()  # no coverage without access


def test_the_api_computes_each_part_once_and_writes_only_when_asked(tmp_path):
    config = _infeasible(tmp_path)
    run = svcov.open_run(config)                               # straight line (network.source: none)
    assert run.network is None and run.fit().empty and len(run.boundaries) == 4
    assert run.access is run.access and run.coverage is run.access.coverage
    status = run.rule_status()
    assert set(status["rule_id"]) >= {"centre_each_jiezhen", "circle_15min"}
    assert status.loc[status["rule_id"] == "circle_15min", "status"].ne("数据不足").any()
    with pytest.raises(InfeasibleError, match="2 个街镇共需新增至少 2 个综合为老服务中心"):
        run.site()
    proposals = run.site(k=2, year=2025).proposals                # two sites: one in each 街镇 without a centre
    assert sorted(proposals["jiezhen_name"]) == ["淮海中路街道", "豫园街道"] and not list(tmp_path.glob("outputs/*"))
    with_network = svcov.open_run(config, network=ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm")
    assert with_network.config.network.source.name == "shanghai_jingan_drive_osm.osm"
    no_rules = svcov.open_run(replace(run.config, rules_path=None))
    with pytest.raises(ConfigError, match="配置中没有 rules"):
        no_rules.rule_status()
