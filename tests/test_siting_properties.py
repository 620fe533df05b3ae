"""Property tests: on random small instances every model's optimum equals brute-force enumeration of all choices
of sites (and opening years), with existing facilities, zone rules and phased plans; merging demand rows never
changes the optimum; the heuristic is feasible and lies between its LP bound and the optimum.

The brute force here is written independently of the package: it enumerates every assignment of a plan year (or
"not chosen") to every candidate, checks the plan and the rules directly, and evaluates the objective from the
dense time matrix (a linear program for the capacitated model).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from svcov.errors import InfeasibleError
from svcov.siting.allocation import CapacitatedCoverage, PMedian
from svcov.siting.center import PCenter
from svcov.siting.instance import Plan, SiteRules
from svcov.siting.models import MaximalCovering, SetCovering

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = "abc"


@st.composite
def instances(draw, max_candidates: int = 5, max_years: int = 2):
    n = draw(st.integers(1, 8))
    J = draw(st.integers(1, max_candidates))
    E = draw(st.integers(0, 2))
    times = st.one_of(st.integers(0, 10).map(float), st.just(np.inf))
    cost = np.array(draw(st.lists(times, min_size=n * J, max_size=n * J))).reshape(n, J)
    exist = np.array(draw(st.lists(times, min_size=n * E, max_size=n * E))).reshape(n, E)
    weights = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), dtype=float)
    zones = np.array(draw(st.lists(st.sampled_from(ZONES), min_size=J, max_size=J)))
    Y = draw(st.sampled_from(list(range(max_years, 0, -1))))
    budgets = []
    for _ in range(Y):
        lo = draw(st.integers(0, 2))
        budgets.append((lo, lo + draw(st.integers(0, 1))))
    plan = Plan(tuple(range(2021, 2021 + Y)), tuple(b[0] for b in budgets), tuple(b[1] for b in budgets))
    opened = np.array(draw(st.lists(st.booleans(), min_size=E * Y, max_size=E * Y)), dtype=bool).reshape(E, Y)
    rules = None
    if draw(st.sampled_from([True, False])):
        mins = {z: draw(st.integers(0, 1)) for z in ZONES}
        maxs = {z: draw(st.integers(1, 2)) for z in ZONES if draw(st.booleans())}
        deadline = draw(st.sampled_from([None, 2021, 2022, 2030]))
        rules = SiteRules(min_sites=mins, max_sites=maxs, deadline_year=deadline)
    return dict(cost=cost, exist=exist, weights=weights, zones=zones, plan=plan, opened=opened, rules=rules)


def _deadline(plan: Plan, rules: SiteRules | None):
    if rules is None or rules.deadline_year is None:
        return plan.n_years - 1
    later = [i for i, y in enumerate(plan.years) if y >= rules.deadline_year]
    return later[0] if later else None


def feasible_choices(inst):
    """Every feasible ``open_year`` (year index per candidate, -1 = not chosen)."""
    plan, rules, zones = inst["plan"], inst["rules"], inst["zones"]
    J, Y = len(zones), plan.n_years
    d = _deadline(plan, rules)
    for choice in itertools.product(range(-1, Y), repeat=J):
        c = np.array(choice)
        if any(not plan.min_new[y] <= (c == y).sum() <= plan.max_new[y] for y in range(Y)):
            continue
        if rules is not None:
            total = {z: int(((c >= 0) & (zones == z)).sum()) for z in ZONES}
            if any(total[z] > rules.max_sites.get(z, 99) for z in ZONES):
                continue
            if d is not None:
                by = {z: int(((c >= 0) & (c <= d) & (zones == z)).sum()) for z in ZONES}
                if any(by[z] < rules.min_sites.get(z, 0) for z in ZONES):
                    continue
            else:
                needy = [z for z in ZONES if rules.min_sites.get(z, 0) > 0 and (zones == z).any()]
                served = sum(1 for z in needy if total[z] > 0)
                if served < min(sum(plan.min_new), len(needy)):
                    continue
        yield c


def covered_weight(inst, c, y, threshold):
    near_new = (inst["cost"][:, (c >= 0) & (c <= y)] <= threshold).any(axis=1)
    near_old = (inst["exist"][:, inst["opened"][:, y]] <= threshold).any(axis=1)
    return inst["weights"][near_new | near_old].sum()


def mclp_value(inst, c, threshold):
    return sum(covered_weight(inst, c, y, threshold) for y in range(inst["plan"].n_years))


def pmedian_value(inst, c, cap):
    total = 0.0
    for y in range(inst["plan"].n_years):
        t = np.c_[inst["cost"][:, (c >= 0) & (c <= y)], inst["exist"][:, inst["opened"][:, y]],
                  np.full(len(inst["weights"]), cap)]
        total += (inst["weights"] * np.minimum(t.min(axis=1), cap)).sum() / 60
    return total


def served(inst, c, threshold, cap_new, cap_old):
    """Children served (max flow, as a linear program) summed over the years."""
    w, total = inst["weights"], 0.0
    for y in range(inst["plan"].n_years):
        times = np.c_[inst["cost"][:, (c >= 0) & (c <= y)], inst["exist"][:, inst["opened"][:, y]]]
        caps = np.r_[np.full(int(((c >= 0) & (c <= y)).sum()), cap_new), np.asarray(cap_old)[inst["opened"][:, y]]]
        arcs = np.argwhere(times <= threshold)
        if len(arcs) == 0:
            continue
        a_dem = np.zeros((len(w), len(arcs)))
        a_dem[arcs[:, 0], np.arange(len(arcs))] = 1
        a_cap = np.zeros((len(caps), len(arcs)))
        a_cap[arcs[:, 1], np.arange(len(arcs))] = 1
        res = linprog(-np.ones(len(arcs)), A_ub=np.r_[a_dem, a_cap], b_ub=np.r_[w, caps], bounds=(0, None),
                      method="highs")
        total += -res.fun
    return total


def common(inst):
    return dict(existing_cost_s=inst["exist"], existing_open=inst["opened"], plan=inst["plan"], rules=inst["rules"],
                candidate_zones=inst["zones"])


def check_optimum(model, values, sense):
    if not values:
        with pytest.raises(InfeasibleError):
            model.solve()
        return None
    model.solve()
    best = max(values) if sense == "max" else min(values)
    assert model.objective_ == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert model.result_.status == "optimal"
    return best


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 9))
def test_mclp_equals_brute_force(inst, threshold):
    choices = list(feasible_choices(inst))
    values = [mclp_value(inst, c, threshold) for c in choices]
    model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, **common(inst))
    best = check_optimum(model, values, "max")
    if best is not None:
        assert mclp_value(inst, model.open_year_, threshold) == pytest.approx(best)
        assert any((model.open_year_ == c).all() for c in choices)


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 9))
def test_merged_and_unmerged_models_have_the_same_optimum(inst, threshold):
    merged = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, **common(inst))
    plain = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, merge=False,
                                             **common(inst))
    assert merged.n_groups <= plain.n_groups
    if not list(feasible_choices(inst)):
        return
    assert merged.solve().objective_ == pytest.approx(plain.solve().objective_)


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 9), share=st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.0]))
def test_lscp_equals_brute_force(inst, threshold, share):
    plan = inst["plan"]
    inst = {**inst, "plan": Plan(plan.years, (0,) * plan.n_years, tuple(m + 1 for m in plan.max_new))}
    target = share * inst["weights"].sum()
    ok = [c for c in feasible_choices(inst)
          if all(covered_weight(inst, c, y, threshold) >= target - 1e-9 for y in range(plan.n_years))]
    model = SetCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, target_share=share,
                                         **common(inst))
    fewest = check_optimum(model, [int((c >= 0).sum()) for c in ok], "min")
    if fewest is not None:
        best_cover = max(mclp_value(inst, c, threshold) for c in ok if (c >= 0).sum() == fewest)
        assert mclp_value(inst, model.open_year_, threshold) == pytest.approx(best_cover)


@SETTINGS
@given(inst=instances(), cap=st.integers(1, 12), formulation=st.sampled_from(["radius", "assignment"]))
def test_p_median_equals_brute_force(inst, cap, formulation):
    values = [pmedian_value(inst, c, cap) for c in feasible_choices(inst)]
    model = PMedian.from_cost_matrix(inst["cost"], inst["weights"], max_time_s=cap, formulation=formulation,
                                     **common(inst))
    best = check_optimum(model, values, "min")
    if best is not None:
        assert pmedian_value(inst, model.open_year_, cap) == pytest.approx(best)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(max_candidates=4), threshold=st.integers(0, 9), cap_new=st.integers(0, 30),
       cap_old=st.lists(st.integers(0, 30), min_size=2, max_size=2))
def test_capacitated_equals_brute_force(inst, threshold, cap_new, cap_old):
    cap_old = cap_old[:inst["exist"].shape[1]]
    values = [served(inst, c, threshold, cap_new, cap_old) for c in feasible_choices(inst)]
    model = CapacitatedCoverage.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold,
                                                 capacity_new=cap_new, existing_capacity=cap_old, **common(inst))
    best = check_optimum(model, values, "max")
    if best is not None:
        assert model.evaluate(model.open_year_) == pytest.approx(best)


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 9), p_median=st.booleans())
def test_heuristic_is_feasible_and_between_its_bound_and_the_optimum(inst, threshold, p_median):
    choices = list(feasible_choices(inst))
    if not choices:
        return
    if p_median:
        value = (lambda c: -pmedian_value(inst, c, threshold + 1))
        model = PMedian.from_cost_matrix(inst["cost"], inst["weights"], max_time_s=threshold + 1, **common(inst))
    else:
        value = (lambda c: mclp_value(inst, c, threshold))
        model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, **common(inst))
    best = max(value(c) for c in choices)
    try:
        model.solve(method="heuristic")
    except InfeasibleError:
        return  # a greedy can paint itself into a corner; the MIP cannot (tested above)
    sign = -1 if p_median else 1
    assert any((model.open_year_ == c).all() for c in choices)
    assert sign * model.objective_ == pytest.approx(value(model.open_year_))
    assert sign * model.objective_ <= best + 1e-9
    assert sign * model.result_.best_bound >= best - 1e-6
    assert model.result_.gap >= 0


def radii(inst, c, cap):
    """Per year: the longest walk (capped) of the children with weight who have a candidate, or a facility open in
    some plan year, within ``cap``."""
    w = inst["weights"]
    ever_open = inst["opened"].any(axis=1)
    reach = (w > 0) & ((inst["cost"] <= cap).any(axis=1) | (inst["exist"][:, ever_open] <= cap).any(axis=1))
    out = []
    for y in range(inst["plan"].n_years):
        t = np.c_[inst["cost"][:, (c >= 0) & (c <= y)], inst["exist"][:, inst["opened"][:, y]], np.full(len(w), cap)]
        out.append(float(np.minimum(t.min(axis=1), cap)[reach].max(initial=0.0)))
    return out


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 6), extra=st.integers(0, 6))
def test_p_center_equals_brute_force(inst, threshold, extra):
    """Lexicographically smallest yearly radii, then the most children within the threshold."""
    cap = threshold + extra
    choices = list(feasible_choices(inst))
    model = PCenter.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold, max_time_s=cap,
                                     **common(inst))
    if not choices:
        with pytest.raises(InfeasibleError):
            model.solve()
        return
    model.solve()
    best = min((radii(inst, c, cap), -mclp_value(inst, c, threshold)) for c in choices)
    assert radii(inst, model.open_year_, cap) == pytest.approx(best[0])
    assert mclp_value(inst, model.open_year_, threshold) == pytest.approx(-best[1])
    assert model.objective_ == pytest.approx(sum(best[0]) / 60)
    assert model.result_.status == "optimal" and model.result_.gap == pytest.approx(0, abs=1e-12)


def zero_zone_years(inst, c, threshold, demand_zones):
    """街镇-years (zones with weight) whose covered weight is 0."""
    count = 0
    for y in range(inst["plan"].n_years):
        near = (inst["cost"][:, (c >= 0) & (c <= y)] <= threshold).any(axis=1) | \
            (inst["exist"][:, inst["opened"][:, y]] <= threshold).any(axis=1)
        for z in set(demand_zones):
            mask = demand_zones == z
            if inst["weights"][mask].sum() > 0 and inst["weights"][mask & near].sum() == 0:
                count += 1
    return count


@SETTINGS
@given(inst=instances(), threshold=st.integers(0, 9), data=st.data())
def test_equity_phasing_equals_brute_force(inst, threshold, data):
    """phasing="equity": the fewest zone-years left at 0 %, then the most children covered."""
    n = len(inst["weights"])
    demand_zones = np.array(data.draw(st.lists(st.sampled_from("pq"), min_size=n, max_size=n)))
    choices = list(feasible_choices(inst))
    model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=threshold,
                                             demand_zones=demand_zones, phasing="equity", **common(inst))
    if not choices:
        with pytest.raises(InfeasibleError):
            model.solve()
        return
    model.solve()
    fewest = min(zero_zone_years(inst, c, threshold, demand_zones) for c in choices)
    tied = [c for c in choices if zero_zone_years(inst, c, threshold, demand_zones) == fewest]
    assert zero_zone_years(inst, model.open_year_, threshold, demand_zones) == fewest
    assert model.objective_ == pytest.approx(max(mclp_value(inst, c, threshold) for c in tied))
    assert model.result_.status == "optimal"
