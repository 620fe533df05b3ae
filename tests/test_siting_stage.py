"""The siting stage on the bundled Songjiang data (svcov.siting.stage), its pipeline step and ``svcov site``.

The bundled data have no register of 普惠性托育点, so every one of the 17 街镇 lacks one: the phased plan
(6 + 6 + 6 sites in 2021-2023) must give each 街镇 a site, and the reasons must say this is an estimate.
The plan has two more legs: 托班 in existing kindergartens (2 a year) and one 家庭科学育儿指导站 per 街镇 (6 + 6 + 5).
Travel times come from the straight-line stand-in of the tests (the access stage's TravelModel in a real run).
"""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest
from _siting_travel import StraightLineTravel

import svcov.pipeline as pipeline
from svcov.cli import main
from svcov.config import default_config_path, load_config
from svcov.errors import ConfigError, InfeasibleError
from svcov.siting.models import MaximalCovering
from svcov.siting.stage import existing_facilities, run_siting, siting_plan


@pytest.fixture(scope="module")
def config():
    return load_config(default_config_path())


@pytest.fixture(scope="module")
def inputs(config):
    return pipeline.load_inputs(config)


@pytest.fixture(scope="module")
def outcome(config, inputs):
    """The bundled plan, with a shorter coverage curve (k = 1 … 10; the bundled run draws 24) to keep the suite quick:
    0.3 is read off the curve, 0.42 lies just beyond it (an exact set covering)."""
    cfg = dataclasses.replace(config, siting=dataclasses.replace(config.siting, tradeoff_max_k=10,
                                                                 tradeoff_shares=(0.3, 0.42)))
    return run_siting(cfg, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel())


MAIN = "inclusive_childcare_point"


def main_leg(frame):
    return frame[frame["leg"] == MAIN]


def test_phased_plan_closes_every_jiezhens_missing_childcare_point(outcome, inputs):
    sites = main_leg(outcome.proposals)
    assert len(sites) == 18 and sites.groupby("year").size().to_dict() == {2021: 6, 2022: 6, 2023: 6}
    assert set(sites["jiezhen_code"]) == set(inputs.boundaries["jiezhen_code"])  # all 17 街镇
    closing = sites[sites["rule_gap_closed_zh"] != ""]
    assert len(closing) == 17 and closing["jiezhen_code"].is_unique
    assert closing["rule_gap_closed_zh"].str.contains("未加载普惠性托育点名册").all()
    assert closing["rule_gap_closed_zh"].str.contains("不是已核实的缺口").all()
    assert sites["rank"].tolist() == list(range(1, 19)) and sites["site_id"].is_unique
    assert (sites["pop_newly_covered"] > 0).all()


def test_coverage_before_and_after_and_diagnostics(outcome, inputs):
    coverage = main_leg(outcome.coverage)
    district = coverage[coverage["jiezhen_code"] == "全区"].set_index("year")
    assert district["pop"].iloc[0] == pytest.approx(inputs.demand["children_0_3"].sum())
    assert (district["share_after"] > district["share_before"]).all()
    assert district["share_after"].is_monotonic_increasing
    sites = main_leg(outcome.proposals)
    last = sites[sites["year"] == 2023].iloc[-1]
    assert last["district_share_after"] == pytest.approx(district.loc[2023, "share_after"])
    d = outcome.diagnostics.iloc[0]
    assert d["status"] == "optimal" and d["gap"] <= 1e-4 and d["n_new_sites"] == 18
    assert d["n_demand_merged"] < d["n_demand_in_model"] <= d["n_demand"] == len(inputs.demand)
    assert d["count_existing"] == "inclusive_childcare" and d["travel_mode"] == "straight_line"
    assert outcome.diagnostics["objective"].iloc[0] == pytest.approx(
        (district["pop_covered_after"]).sum(), rel=1e-9)


def test_notes_say_what_is_estimated(outcome):
    text = "\n".join(outcome.notes)
    assert "未加载普惠性托育点名册" in text and "类型为按名称推断的估算" in text
    district = main_leg(outcome.coverage).query("jiezhen_code == '全区'").iloc[0]
    assert f"{district['year']} 年 {district['share_before']:.1%} → {district['share_after']:.1%}" in text
    assert outcome.candidates["jiezhen_code"].notna().all() and len(outcome.warnings) == 0


def test_memo_fields_are_filled(outcome):
    sites = main_leg(outcome.proposals)
    assert sites["nearest_facilities"].str.contains("步行约").all()
    assert sites["nearest_compounds"].str.contains("步行约").all()
    assert sites["alternatives"].str.contains("新增覆盖约").sum() >= 17
    assert sites["lon_wgs84"].between(120.8, 121.5).all() and sites["lat_wgs84"].between(30.7, 31.3).all()


def test_merged_and_unmerged_models_have_the_same_optimum_on_songjiang(outcome):
    inp = outcome.model.inputs_
    args = dict(threshold_s=inp.threshold_s, k=6, existing_cost_s=inp.exist_times)
    merged = MaximalCovering.from_cost_matrix(inp.cand_times, inp.weights, **args).solve()
    plain = MaximalCovering.from_cost_matrix(inp.cand_times, inp.weights, merge=False, **args).solve()
    assert merged.n_groups < plain.n_groups / 2
    assert merged.objective_ == pytest.approx(plain.objective_, rel=1e-4)
    assert merged.result_.best_bound == pytest.approx(plain.result_.best_bound, rel=1e-4)


def test_one_year_before_the_deadline_puts_each_site_in_a_different_jiezhen(config, inputs):
    out = run_siting(config, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel(), k=7,
                     year=2022)
    assert len(out.proposals) == 7 and out.proposals["jiezhen_code"].is_unique
    assert len(out.legs) == 1  # an override runs the main leg only
    assert (out.proposals["year"] == 2022).all()


def test_one_year_at_the_deadline_is_infeasible_in_numbers(config, inputs):
    with pytest.raises(InfeasibleError, match="17 个街镇共需新增至少 17 个普惠性托育点, 但 2023 的新增名额合计只有 7 个"):
        run_siting(config, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel(), k=7, year=2023)


def test_plans_from_the_configuration(config):
    assert siting_plan(config, model="mclp").years == (2021, 2022, 2023)
    assert siting_plan(config, model="mclp", year=2022).min_new == (6,)
    assert siting_plan(config, model="lscp").min_new == (0, 0, 0)
    assert siting_plan(config, model="mclp", k=3).years == (2021,)
    with pytest.raises(ConfigError, match="sites_per_year 中没有 2030 年"):
        siting_plan(config, model="mclp", year=2030)
    empty = dataclasses.replace(config, siting=dataclasses.replace(config.siting, sites_per_year={}))
    with pytest.raises(ConfigError, match="请在 siting 中给出 sites_per_year 或 k"):
        siting_plan(empty, model="mclp")
    assert siting_plan(empty, model="lscp").max_new[0] > 10 ** 6


def test_existing_facilities_are_the_types_group(config, inputs):
    existing, key = existing_facilities(config, inputs.facilities)
    assert key == "inclusive_childcare"
    assert set(existing["type"]) <= set(config.group_types("inclusive_childcare"))


def test_capacitated_needs_the_places_of_a_new_site(config, inputs):
    bare = dataclasses.replace(config, siting=dataclasses.replace(config.siting, capacity_per_new_site={}))
    with pytest.raises(ConfigError, match="capacity_per_new_site"):
        run_siting(bare, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel(),
                   model="capacitated", k=3, year=2022)


def test_capacitated_uses_the_configured_places(config, inputs):
    cfg = dataclasses.replace(config, siting=dataclasses.replace(config.siting, capacity_places_unknown=100))
    out = run_siting(cfg, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel(),
                     model="capacitated", k=2, year=2022)
    assert out.model.capacity_new.max() == 40 and (out.proposals["places_new"] == 40).all()


def test_every_leg_of_the_plan(outcome, inputs):
    sites = outcome.proposals
    assert list(dict.fromkeys(sites["leg"])) == [MAIN, "nursery_class", "guidance_station"]
    conversions = sites[sites["leg"] == "nursery_class"]
    assert (conversions["action"] == "conversion").all() and conversions["site_id"].str.startswith("T20").all()
    assert conversions.groupby("year").size().to_dict() == {2021: 2, 2022: 2, 2023: 2}
    kindergartens = set(inputs.facilities.loc[inputs.facilities["type"] == "other_kindergarten", "facility_id"])
    assert set(conversions["candidate_id"]) <= kindergartens
    assert not conversions["candidate_name"].str.contains("民办|双语").any()
    f = inputs.facilities
    lacking = set(inputs.boundaries["name"]) - set(f.loc[f["type"] == "public_nursery_kindergarten", "jiezhen_name"])
    with_candidates = set(f.loc[f["facility_id"].isin(outcome.candidates.query("leg == 'nursery_class'")
                                                      ["candidate_id"]), "jiezhen_name"])
    assert lacking & with_candidates <= set(conversions["jiezhen_name"])  # the 「3个一」 public gap, where possible
    assert len(lacking & with_candidates) == 3 and len(lacking - with_candidates) == 3
    assert any("新桥镇 (310117105)、新浜镇 (310117117)、叶榭镇 (310117120) 没有可改建的候选设施" in n for n in outcome.notes)
    stations = sites[sites["leg"] == "guidance_station"]
    assert len(stations) == 17 and stations["jiezhen_code"].is_unique and stations["site_id"].str.startswith("G").all()
    assert (stations["service"] == "family_services").all() and stations["places_new"].isna().all()
    assert outcome.diagnostics["leg"].tolist() == [MAIN, "nursery_class", "guidance_station"]
    assert (outcome.diagnostics["status"] == "optimal").all()


def test_conversions_count_the_new_points_of_the_earlier_leg(outcome, config, inputs):
    conversions = outcome.legs[1]
    existing = inputs.facilities["type"].isin(config.group_types("inclusive_childcare")).sum()
    assert conversions.diagnostics["n_existing"].iloc[0] == existing + 18  # existing + the main leg's points
    assert conversions.model.inputs_.existing_open[-18:].sum(axis=0).tolist() == [6, 12, 18]


def test_places_per_year_against_the_600_place_target(outcome):
    places = outcome.places
    total = places[places["leg"] == "全部"].set_index("year")
    assert total["places_new"].tolist() == [6 * 40 + 2 * 20] * 3
    assert total["places_cumulative"].tolist() == [280, 560, 840]
    assert total.loc[2023, "meets_target"] is True or total.loc[2023, "meets_target"] == True  # noqa: E712
    assert pd.isna(total.loc[2022, "meets_target"]) and total["target_places"].eq(600).all()
    assert not places.loc[places["leg"] == "guidance_station", "counts_toward_target"].any()
    assert outcome.proposals.loc[outcome.proposals["leg"] == MAIN, "places_source_zh"].str.contains("假设值").all()


def test_equity_phasing_serves_the_towns_at_zero_first(outcome):
    """The bundled plan uses phasing: equity; the efficiency plan leaves 街镇 at 0 % in the first years."""
    table = outcome.phasing.set_index(["phasing", "year"])
    assert table.loc[("equity", 2021), "chosen"] and not table.loc[("efficiency", 2021), "chosen"]
    assert table.loc[("efficiency", 2021), "n_jiezhen_zero"] > 0
    assert (table.xs("equity")["n_jiezhen_zero"] == 0).all()
    assert table.loc[("equity", 2021), "min_jiezhen_share"] > table.loc[("efficiency", 2021), "min_jiezhen_share"]
    efficiency, equity = (table.xs(p)["pop_covered"].sum() for p in ("efficiency", "equity"))
    assert equity < efficiency  # the price, in children covered over the plan years
    assert equity == pytest.approx(outcome.diagnostics["objective"].iloc[0])
    assert any("选址分期: 采用公平优先" in n for n in outcome.notes)


def test_coverage_curve_and_the_fewest_sites(outcome):
    curve = outcome.tradeoff
    assert curve["k"].tolist() == list(range(1, 11)) and (curve["status"] == "optimal").all()
    assert curve["pop_covered"].is_monotonic_increasing and (curve["gain"] > 0).all()
    shares = outcome.tradeoff_shares.set_index("target_share")
    first = int(curve.loc[curve["share_covered"] >= 0.3, "k"].iloc[0])
    assert shares.loc[0.3, "fewest_sites"] == first and "覆盖曲线" in shares.loc[0.3, "how"]
    assert curve["share_covered"].max() < 0.42
    assert shares.loc[0.42, "fewest_sites"] > 10 and shares.loc[0.42, "how"] == "集合覆盖模型 (已证明最少)"


def test_target_share_is_the_fewest_sites_of_the_curve(config, inputs, outcome):
    out = run_siting(config, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel(),
                     target_share=0.42)
    assert out.diagnostics["model"].iloc[0] == "lscp" and out.diagnostics["status"].iloc[0] == "optimal"
    assert len(out.proposals) == outcome.tradeoff_shares.set_index("target_share").loc[0.42, "fewest_sites"]


def test_stage_without_facility_type(config, inputs):
    cfg = dataclasses.replace(config, siting=dataclasses.replace(config.siting, facility_type=None))
    with pytest.raises(ConfigError, match="siting.facility_type"):
        run_siting(cfg, inputs.boundaries, inputs.facilities, inputs.demand, StraightLineTravel())


def test_svcov_site_target_share(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["site", "--target-share", "0.5", "--out", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "使 50.0% 的 0-3 岁儿童在步行 15 分钟内可达, 最少需要 18 个新增点 (已证明最少)" in text  # = the curve
    assert "新增覆盖" in text and " 人  全区" in text


def test_svcov_site_target_share_must_be_a_share(capsys):
    with pytest.raises(SystemExit) as info:
        main(["site", "--target-share", "1.5"])
    assert info.value.code == 2 and "应是 0 到 1 之间的比例" in capsys.readouterr().err


def test_svcov_site_writes_the_proposal(monkeypatch, tmp_path, capsys):
    out = tmp_path / "site"  # the run's own travel model: the straight-line fallback of the bundled config
    assert main(["site", "--model", "mclp", "--k", "7", "--year", "2022", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "最大覆盖模型 (MCLP): optimal" in printed and printed.count("S2022-") == 7
    table = pd.read_csv(out / "tables" / "proposed_sites.csv", encoding="utf-8-sig")
    assert len(table) == 7 and "新增覆盖人数" in table.columns
    layer = gpd.read_file(out / "siting.gpkg", layer="proposed_sites")
    assert len(layer) == 7 and layer.crs.to_epsg() == 4326          # outputs.crs: WGS-84 by default
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any("选址" in n for n in manifest["notes"]) and "siting" in manifest["timings_s"]


def test_svcov_site_with_the_users_candidate_file(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "siting_travel_model", lambda inputs: StraightLineTravel())
    path = tmp_path / "街镇提供的用房.csv"
    pd.DataFrame({"编号": ["YY-1"], "名称": ["岳阳街道社区中心二楼"], "经度": [121.2315], "纬度": [31.0095]}).to_csv(
        path, index=False)
    out = tmp_path / "site"
    assert main(["site", "--k", "1", "--year", "2022", "--candidates", str(path), "--out", str(out), "-q"]) == 0
    cands = gpd.read_file(out / "siting.gpkg", layer="candidates")
    assert "YY-1" in cands["candidate_id"].tolist()


def test_siting_stage_is_skipped_with_a_note_without_facility_type(config, inputs, tmp_path):
    from svcov.files import RunFolder

    cfg = dataclasses.replace(config, siting=dataclasses.replace(config.siting, facility_type=None))
    bare = dataclasses.replace(inputs, config=cfg)
    with RunFolder(tmp_path / "run") as folder:
        assert pipeline._siting_stage(folder, bare, StraightLineTravel()) == {}
        assert any("选址: 未运行" in n for n in folder.notes)
        assert not (folder.tmp / "tables").exists()


def test_the_objective_is_worded_with_the_served_group():
    from svcov.siting.stage import _worded

    assert _worded("15 分钟内覆盖的需求人口, 各年合计", "0-3 岁儿童") == "15 分钟内覆盖的 0-3 岁儿童, 各年合计"
    assert _worded("需求人口加权出行时间 (人·分钟)", "老人") == "老人加权出行时间 (人·分钟)"
