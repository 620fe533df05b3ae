"""Location models on hand-computed instances (svcov.siting.models and svcov.siting.allocation).

The line instance: demand at x = 0, 10, 20, 30 with weights 10, 20, 30, 40 (total 100); candidates at x = 0, 15,
30; one existing facility at x = 10; times = |Δx| seconds; threshold 6 s. So candidate 0 covers demand 0,
candidate 1 covers demand 1 and 2, candidate 2 covers demand 3, and the existing facility covers demand 1.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from _siting_travel import StraightLineTravel

from svcov.errors import ConfigError, InfeasibleError, MissingColumnError
from svcov.siting.allocation import CapacitatedCoverage, PMedian
from svcov.siting.instance import Plan, SiteRules
from svcov.siting.models import MODELS, MaximalCovering, SetCovering

DX = np.array([0.0, 10.0, 20.0, 30.0])
W = np.array([10.0, 20.0, 30.0, 40.0])
CX = np.array([0.0, 15.0, 30.0])
EX = np.array([10.0])
COST = np.abs(DX[:, None] - CX[None, :])
EXIST = np.abs(DX[:, None] - EX[None, :])


def mclp(**kw):
    args = dict(threshold_s=6.0, existing_cost_s=EXIST)
    args.update(kw)
    return MaximalCovering.from_cost_matrix(COST, W, **args)


@pytest.mark.parametrize("k, objective, chosen", [(0, 20, []), (1, 60, [2]), (2, 90, [1, 2]), (3, 100, [0, 1, 2])])
def test_mclp_counts_existing_coverage_and_picks_the_best_sites(k, objective, chosen):
    model = mclp(k=k).solve()
    assert model.objective_ == pytest.approx(objective)
    assert sorted(model.selected_["candidate_pos"]) == chosen
    assert model.result_.status == "optimal" and model.result_.gap == pytest.approx(0)
    assert model.result_.best_bound == pytest.approx(objective)


def test_mclp_without_existing_facilities():
    model = MaximalCovering.from_cost_matrix(COST, W, threshold_s=6.0, k=1).solve()
    assert model.objective_ == pytest.approx(50)  # candidate 1: 20 + 30
    assert list(model.selected_["candidate_pos"]) == [1]


def test_sparse_cost_matrix_gives_the_same_answer_as_dense():
    sparse = sp.csr_array((COST[COST <= 6], np.nonzero(COST <= 6)), shape=COST.shape)
    a = mclp(k=2).solve()
    b = MaximalCovering.from_cost_matrix(sparse, W, threshold_s=6.0, k=2, existing_cost_s=EXIST).solve()
    assert a.objective_ == b.objective_ and (a.open_year_ == b.open_year_).all()


def test_phased_plan_sums_coverage_over_years_and_builds_on_earlier_years():
    model = mclp(plan=Plan.phased({2021: 1, 2022: 1})).solve()
    assert model.objective_ == pytest.approx(60 + 90)
    assert model.selected_[["candidate_pos", "year"]].values.tolist() == [[2, 2021], [1, 2022]]
    assert model.coverage_by_year(model.open_year_).tolist() == [60, 90]


def test_existing_facility_opening_later_changes_the_order():
    # the existing facility opens only in 2022: in 2021 candidate 1 (20 + 30) beats candidate 2 (40)
    model = mclp(plan=Plan.phased({2021: 1, 2022: 1}), existing_open=[[False, True]]).solve()
    assert model.objective_ == pytest.approx(50 + 90)
    assert model.selected_[["candidate_pos", "year"]].values.tolist() == [[1, 2021], [2, 2022]]


def test_zone_minimum_forces_a_site_into_the_zone():
    rules = SiteRules(min_sites={"A": 1})
    model = mclp(k=1, rules=rules, candidate_zones=["A", "B", "B"]).solve()
    assert list(model.selected_["candidate_pos"]) == [0] and model.objective_ == pytest.approx(30)
    assert list(model.selected_["zone"]) == ["A"]


def test_zone_maximum_caps_the_sites_in_a_zone():
    rules = SiteRules(max_sites={"B": 1})
    model = mclp(k=2, rules=rules, candidate_zones=["A", "B", "B"]).solve()
    assert sorted(model.selected_["candidate_pos"]) == [0, 2] and model.objective_ == pytest.approx(70)


def test_rule_due_after_the_plan_is_worked_towards():
    # a one-year plan for 2022 while the rule is due in 2023: as many needy zones as the budget allows get a site
    rules = SiteRules(min_sites={"A": 1, "B": 1}, deadline_year=2023)
    plan = Plan.single(1, year=2022)
    model = mclp(plan=plan, rules=rules, candidate_zones=["A", "B", "C"]).solve()
    assert list(model.selected_["candidate_pos"]) == [1]  # B's candidate covers more than A's; C's is not needy
    assert model.progress_needed == 1


def test_infeasible_zone_without_candidates_is_explained_in_numbers():
    rules = SiteRules(min_sites={"310117105": 1}, zone_names={"310117105": "新桥镇"}, type_name_zh="普惠性托育点",
                      reasons_zh={"310117105": "「3个一」"})
    with pytest.raises(InfeasibleError, match=r"新桥镇 \(310117105\) 需要至少 1 个新增普惠性托育点.*只有 0 个候选点"):
        mclp(k=1, rules=rules, candidate_zones=["A", "B", "B"]).solve()


def test_infeasible_budget_too_small_for_the_zones():
    rules = SiteRules(min_sites={"A": 1, "B": 1})
    with pytest.raises(InfeasibleError, match="2 个街镇共需新增至少 2 个.*新增名额合计只有 1 个"):
        mclp(k=1, rules=rules, candidate_zones=["A", "B", "B"]).solve()


def test_infeasible_more_sites_than_candidates():
    with pytest.raises(InfeasibleError, match="计划新增 4 个.*候选点只有 3 个"):
        mclp(k=4).solve()


def test_infeasible_zone_minimum_above_maximum():
    rules = SiteRules(min_sites={"A": 1}, max_sites={"A": 0})
    with pytest.raises(InfeasibleError, match="下限 1 大于上限 0"):
        mclp(k=1, rules=rules, candidate_zones=["A", "B", "B"]).solve()


@pytest.mark.parametrize("share, fewest, chosen", [(0.2, 0, []), (0.6, 1, [2]), (0.9, 2, [1, 2]), (1.0, 3, [0, 1, 2])])
def test_lscp_fewest_sites_for_the_target_share(share, fewest, chosen):
    model = SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=share, existing_cost_s=EXIST).solve()
    assert model.objective_ == fewest
    assert sorted(model.selected_["candidate_pos"]) == chosen


def test_lscp_breaks_ties_by_coverage():
    # 50 % needs one site; candidate 2 (40) covers more than candidate 1 (30 new): the tie-break picks 2
    model = SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=0.5, existing_cost_s=EXIST).solve()
    assert list(model.selected_["candidate_pos"]) == [2]
    assert "覆盖 60" in model.result_.note_zh


def test_lscp_unreachable_target_is_explained():
    cost = COST.copy()
    cost[3, :] = np.inf  # demand 3 (40 children) cannot be reached
    with pytest.raises(InfeasibleError, match="目标覆盖率 90.0% .*无法达到.*最多覆盖 60 人 \\(60.0%\\).*40 人在"):
        SetCovering.from_cost_matrix(cost, W, threshold_s=6.0, target_share=0.9, existing_cost_s=EXIST).solve()


def test_lscp_with_too_small_budget_is_infeasible_by_the_solver():
    with pytest.raises(InfeasibleError, match="HiGHS 判定模型无解.*至少 90 人.*至少需要 2 个新增点.*新增上限为 1 个"):
        SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=0.9, k_max=1,
                                     existing_cost_s=EXIST).solve()


@pytest.mark.parametrize("k, minutes, chosen", [(0, 1200 / 60, []), (1, 400 / 60, [2]), (2, 250 / 60, [1, 2])])
def test_p_median_minimises_child_weighted_time(k, minutes, chosen):
    # base (existing at 10): 10·10 + 20·0 + 30·10 + 40·20 = 1200 child-seconds; candidate 2 saves 800; then
    # candidate 1 saves 30·5 = 150 more (demand 2 at 5 s instead of 10)
    model = PMedian.from_cost_matrix(COST, W, k=k, max_time_s=100, existing_cost_s=EXIST).solve()
    assert model.objective_ == pytest.approx(minutes)
    assert sorted(model.selected_["candidate_pos"]) == chosen


def test_p_median_caps_times():
    # with a cap of 5 s, nobody is more than 5 s "away": base = 10·5 + 0 + 30·5 + 40·5 = 400
    model = PMedian.from_cost_matrix(COST, W, k=1, max_time_s=5, existing_cost_s=EXIST).solve()
    assert model.objective_ == pytest.approx((400 - 200) / 60)


@pytest.mark.parametrize("k, served", [(1, 30), (2, 55)])
def test_capacitated_serves_up_to_the_places(k, served):
    # existing: 5 places for demand 1 (20); a new site has 25 places
    model = CapacitatedCoverage.from_cost_matrix(COST, W, threshold_s=6.0, capacity_new=25, k=k,
                                                 existing_cost_s=EXIST, existing_capacity=[5]).solve()
    assert model.objective_ == pytest.approx(served)
    assert model.evaluate(model.open_year_) == pytest.approx(served)


def test_capacitated_needs_known_capacities():
    with pytest.raises(ConfigError, match="现有设施的容量未知或无效 \\(第 0 个, 共 1 个\\)"):
        CapacitatedCoverage.from_cost_matrix(COST, W, threshold_s=6.0, capacity_new=25, k=1, existing_cost_s=EXIST,
                                             existing_capacity=[np.nan])
    with pytest.raises(ConfigError, match="新增点的容量未知"):
        CapacitatedCoverage.from_cost_matrix(COST, W, threshold_s=6.0, capacity_new=-1, k=1)


def test_capacitated_has_no_heuristic():
    model = CapacitatedCoverage.from_cost_matrix(COST, W, threshold_s=6.0, capacity_new=25, k=1)
    with pytest.raises(ConfigError, match="没有启发式"):
        model.solve(method="heuristic")


def test_heuristic_reports_its_gap_against_the_lp_bound():
    model = mclp(k=2).solve(method="heuristic")
    assert model.objective_ == pytest.approx(90)
    assert model.result_.method == "heuristic" and model.result_.best_bound >= 90 - 1e-9
    assert model.result_.gap == pytest.approx((model.result_.best_bound - 90) / 90)
    lscp = SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=0.9, existing_cost_s=EXIST)
    assert lscp.solve(method="heuristic").objective_ == 2 and lscp.result_.best_bound == 2


def test_auto_method_solves_small_models_exactly():
    assert mclp(k=1).solve(method="auto").result_.method == "mip"


def test_merging_reduces_rows_and_keeps_the_optimum():
    cost = np.repeat(COST, 3, axis=0)  # three identical copies of every demand point
    weights = np.repeat(W, 3)
    merged = MaximalCovering.from_cost_matrix(cost, weights, threshold_s=6.0, k=2).solve()
    plain = MaximalCovering.from_cost_matrix(cost, weights, threshold_s=6.0, k=2, merge=False).solve()
    assert (merged.n_demand_in_model, merged.n_groups) == (12, 3)  # demand 1 and 2 share candidate 1
    assert plain.n_groups == 12
    assert merged.objective_ == plain.objective_ == pytest.approx(3 * 90)
    assert merged.result_.n_rows < plain.result_.n_rows


@pytest.mark.parametrize("kwargs, match", [
    (dict(k=1, plan=Plan.single(1)), "k 和 plan 只能给一个"),
    (dict(), "请给出新增点数 k"),
    (dict(k=1, rules=SiteRules(min_sites={"A": 1})), "必须给出每个候选点所在的街镇"),
    (dict(k=1, candidate_zones=["A"]), "candidate_zones 应有 3 个值"),
    (dict(k=1, existing_open=[[True, False]]), "existing_open 应是 1 个现有设施 × 1 个年份"),
    (dict(k=1, threshold_s=np.inf), "时间阈值应是非负有限秒数"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        mclp(**kwargs)


@pytest.mark.parametrize("cost, weights, match", [
    (COST, -W, "非负有限数"),
    (COST[:2], W, "矩阵的行数"),
    (np.where(COST > 20, np.nan, COST), W, "NaN"),
    (-COST, W, "负数"),
    (COST[None], W, "二维"),
])
def test_bad_arrays(cost, weights, match):
    with pytest.raises(ConfigError, match=match):
        MaximalCovering.from_cost_matrix(cost, weights, threshold_s=6.0, k=1)


def test_bad_solve_method_and_target_share():
    with pytest.raises(ConfigError, match="method 应是"):
        mclp(k=1).solve(method="fast")
    with pytest.raises(ConfigError, match="target_share 应在 0 和 1 之间"):
        SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=1.5)


def _frames():
    crs = "EPSG:32651"
    demand = gpd.GeoDataFrame({"residents": W}, geometry=gpd.points_from_xy(DX * 100, np.zeros(4)), crs=crs)
    cands = gpd.GeoDataFrame({"jiezhen_code": ["A", "B", "B"]}, geometry=gpd.points_from_xy(CX * 100, np.zeros(3)),
                             crs=crs)
    existing = gpd.GeoDataFrame({"opened_year": [2022], "closed_year": [None]},
                                geometry=gpd.points_from_xy(EX * 100, [0.0]), crs=crs).astype(
        {"opened_year": "Int64", "closed_year": "Int64"})
    return demand, cands, existing


def test_from_geodataframe_uses_the_travel_model():
    demand, cands, existing = _frames()
    travel = StraightLineTravel(walk_speed_kph=3.6, circuity_factor=1.0)  # 1 m/s: times = metres
    model = MaximalCovering.from_geodataframe(demand, cands, travel=travel, threshold_min=600 / 60,
                                              existing=existing, plan=Plan.phased({2021: 1, 2022: 1})).solve()
    assert "catchments" in travel.calls
    assert model.inputs_.existing_open.tolist() == [[False, True]]  # opened in 2022
    assert model.objective_ == pytest.approx(50 + 90)
    assert list(model.selected_["zone"]) == ["B", "B"]


def test_from_geodataframe_p_median_queries_twice_the_threshold():
    demand, cands, existing = _frames()
    travel = StraightLineTravel(walk_speed_kph=3.6, circuity_factor=1.0)
    model = MODELS["p_median"].from_geodataframe(demand, cands, travel=travel, threshold_min=10, existing=existing,
                                                 k=1)
    assert model.inputs_.max_time_s == 1200 and model.inputs_.threshold_s == 600


def test_from_geodataframe_reports_missing_columns():
    demand, cands, _ = _frames()
    with pytest.raises(MissingColumnError, match="demand 缺少列「children」"):
        MaximalCovering.from_geodataframe(demand, cands, travel=StraightLineTravel(), threshold_min=15, k=1,
                                          weight_column="children")


def _scipy_lscp(cover: np.ndarray) -> int:
    """The classic set covering (every row covered, fewest columns) with scipy's MILP (HiGHS through scipy, a
    second solver path)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    J = cover.shape[1]
    res = milp(np.ones(J), constraints=LinearConstraint(cover.astype(float), lb=1), integrality=np.ones(J),
               bounds=Bounds(0, 1))
    assert res.success
    return int(round(res.fun))


@pytest.mark.parametrize("seed", range(12))
def test_lscp_full_cover_is_feasible_and_fewest_on_random_instances(seed):
    """Issue 13: with target_share = 1 HiGHS's presolve called 34 of 120 such instances infeasible (the row
    "target − 1e-9 × total"). Every child within reach of a candidate here, weights whole, fractional or ones."""
    rng = np.random.default_rng(seed)
    d, c = rng.uniform(0, 10, (200, 2)), rng.uniform(0, 10, (30, 2))
    cost = np.linalg.norm(d[:, None] - c[None], axis=2)
    radius = float(np.sort(cost, axis=1)[:, 0].max() * rng.uniform(1.0, 1.5))
    w = (rng.integers(1, 10, 200).astype(float), rng.uniform(0.1, 10, 200), np.ones(200))[seed % 3]
    model = SetCovering.from_cost_matrix(cost, w, threshold_s=radius, target_share=1.0).solve()
    assert model.result_.status == "optimal" and model.full_cover.all()
    assert model.objective_ == _scipy_lscp(cost <= radius)
    assert model.coverage_by_year(model.open_year_)[0] == pytest.approx(w.sum())


def test_lscp_whole_people_target_is_exact():
    from svcov.siting.covering import exact_target

    assert exact_target(0.9, 1000, True) == (900.0, 0.5)  # 0.9 × 1000 = 900.0000000000001 in floating point
    assert exact_target(0.9, 1001, True) == (901.0, 0.5)  # 900.9 → 901 children
    target, slack = exact_target(0.5, 3.3, False)
    assert target == pytest.approx(1.65) and slack == pytest.approx(3.3e-9)
    # demand 0 (10) and 3 (40) reachable only by candidates 0 and 2; a 50 % target of 100 children = 50 exactly
    model = SetCovering.from_cost_matrix(COST, W, threshold_s=6.0, target_share=0.5, existing_cost_s=EXIST)
    assert model.target_weight == 50 and not model.full_cover.any()
    assert model.solve().objective_ == 1  # candidate 1 (20 + 30) with the existing facility's 20: 50 ≥ 50


def test_p_median_closes_dominated_candidates():
    # candidate 1 is at least as near as candidate 0 to every demand candidate 0 serves; 2 duplicates 1
    cost = np.array([[5.0, 4.0, 4.0, 9.0], [6.0, 6.0, 6.0, 1.0], [np.inf, 2.0, 2.0, 3.0]])
    model = PMedian.from_cost_matrix(cost, [1, 1, 1], k=1, max_time_s=10)
    assert model.dominated_candidates().tolist() == [True, False, True, False]
    model.solve()
    assert "去掉被支配的候选点 2 个" in model.result_.note_zh
    assert model.objective_ == pytest.approx(min((4 + 6 + 2), (9 + 1 + 3)) / 60)
    ruled = PMedian.from_cost_matrix(cost, [1, 1, 1], k=1, max_time_s=10, rules=SiteRules(min_sites={"a": 1}),
                                     candidate_zones=["a", "b", "b", "b"])
    assert ruled.dominated_candidates().tolist() == [False, False, True, False]  # zone a keeps its only candidate
