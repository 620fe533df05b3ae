"""The tie-break rule and the alternatives table (svcov.siting.ties), on cases worked out by hand.

One demand point (10 children) at x = 0; every candidate lies within the 10-minute (600 m at 3.6 km/h) threshold,
so any one of them covers all 10: the model cannot tell them apart. The rule prefers a named place over a grid
point, then the shorter people-weighted time, then the candidate order. A far candidate (x = 5000) covers nobody.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from _siting_travel import StraightLineTravel

from svcov.siting.instance import Plan, SiteRules
from svcov.siting.models import MaximalCovering
from svcov.siting.proposals import proposed_sites
from svcov.siting.ties import ALTERNATIVE_COLUMNS, candidate_keys, prefer_among_ties, site_alternatives

CRS = "EPSG:32651"
X0, Y0 = 340000.0, 3430000.0


def pts(xs):
    return gpd.points_from_xy(X0 + np.asarray(xs, dtype=float), np.full(len(xs), Y0), crs=CRS)


def _solve(ids, names, xs):
    demand = gpd.GeoDataFrame({"residents": [10.0], "jiezhen_code": ["A"], "jiezhen_name": ["甲镇"]},
                              geometry=pts([0]), crs=CRS)
    n = len(ids)
    cands = gpd.GeoDataFrame({"candidate_id": ids, "name": names, "source_label": ["网格"] * n,
                              "jiezhen_code": ["A"] * n, "jiezhen_name": ["甲镇"] * n,
                              "lon_wgs84": [121.0 + 0.001 * x / 100 for x in xs], "lat_wgs84": [31.0] * n},
                             geometry=pts(xs), crs=CRS)
    travel = StraightLineTravel(walk_speed_kph=3.6, circuity_factor=1.0)
    model = MaximalCovering.from_geodataframe(demand, cands, travel=travel, threshold_min=10, existing=None,
                                              plan=Plan.phased({2027: 1}), rules=SiteRules()).solve()
    return model, cands, demand


def _chosen(model, cands) -> list[str]:
    return cands["candidate_id"][model.open_year_ >= 0].tolist()


def test_a_named_place_is_preferred_to_equally_good_grid_points():
    model, cands, _ = _solve(["grid-1", "grid-2", "poi-9"], ["甲镇 网格点 r1c1", "甲镇 网格点 r1c2", "甲小区"],
                             [100, -50, 300])
    named, mean = candidate_keys(model, cands)
    assert named.tolist() == [False, False, True]
    assert mean.tolist() == pytest.approx([100 / 60, 50 / 60, 300 / 60])         # 1 m/s: metres / 60 = minutes
    objective = model.evaluate(model.open_year_)
    prefer_among_ties(model, cands)
    assert _chosen(model, cands) == ["poi-9"] and model.evaluate(model.open_year_) == pytest.approx(objective)


def test_among_grid_points_the_shorter_time_wins_and_a_worse_candidate_is_never_taken():
    model, cands, demand = _solve(["grid-1", "grid-2", "grid-3"], ["未命名1", "未命名2", "未命名3"], [400, 50, 5000])
    prefer_among_ties(model, cands)
    assert _chosen(model, cands) == ["grid-2"]                                   # 50 m beats 400 m; 5 km covers 0
    assert prefer_among_ties(model, cands) == []                                 # already the preferred one
    sites = proposed_sites(model, cands, demand, type_key="inclusive_childcare_point", type_name_zh="普惠性托育点",
                           group_name_zh="0-3 岁儿童")
    alts = site_alternatives(model, cands, sites, n=2)
    assert list(alts.columns) == list(ALTERNATIVE_COLUMNS)
    assert alts["alt_rank"].tolist() == [0, 1, 2] and alts["candidate_id"].tolist() == ["grid-2", "grid-1", "grid-3"]
    assert alts["pop_newly_covered"].tolist() == pytest.approx([10, 10, 0])
    assert alts["ties"].tolist() == [True, True, False] and alts["difference"].tolist() == pytest.approx([0, 0, -10])
    assert alts["distance_m"].tolist() == pytest.approx([0, 350, 4950])
