"""Decay-weighted access (svcov.access.decay) on a hand-computed case.

Facilities A (10 places) and B (20); demand d1 (10 children), d2 (20), d3 (30); walking times in minutes: A–d1 2,
A–d2 7, B–d2 4, B–d3 12. With the E2SFCA steps {5: 1, 10: 0.5, 15: 0.25}: W(A,d1) = 1, W(A,d2) = 0.5,
W(B,d2) = 1, W(B,d3) = 0.25, so R_A = 10 / (10 + 20·0.5) = 0.5, R_B = 20 / (20 + 30·0.25) = 8/11, and
A(d1) = 0.5, A(d2) = 0.5·0.5 + 8/11, A(d3) = 8/11 · 0.25.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _siting_travel import StraightLineTravel
from shapely.geometry import Point

from svcov.access.decay import (
    decay_access,
    decay_function,
    enhanced_two_step_fca,
    gaussian_weights,
    gravity_weights,
    step_weights,
    weighted_catchment,
)
from svcov.access.summary import two_step_fca
from svcov.errors import ConfigError

PAIRS = pd.DataFrame({"source_pos": [0, 0, 1, 1], "target_pos": [0, 1, 1, 2],
                      "time_s": [120.0, 420.0, 240.0, 720.0]})
SUPPLY = np.array([10.0, 20.0])
DEMAND = np.array([10.0, 20.0, 30.0])
STEPS = step_weights({5: 1.0, 10: 0.5, 15: 0.25})


def test_e2sfca_by_hand():
    access, ratio = enhanced_two_step_fca(PAIRS, SUPPLY, DEMAND, STEPS)
    assert ratio == pytest.approx([0.5, 8 / 11])
    assert access == pytest.approx([0.5, 0.25 + 8 / 11, 2 / 11])
    assert (access * DEMAND).sum() == pytest.approx(SUPPLY.sum())  # every place is shared out


def test_e2sfca_with_unknown_supply_is_a_lower_bound():
    access, ratio = enhanced_two_step_fca(PAIRS, np.array([np.nan, 20.0]), DEMAND, STEPS)
    assert math.isnan(ratio[0]) and access == pytest.approx([0.0, 8 / 11, 2 / 11])


def test_step_edges_are_inclusive_and_zero_beyond():
    assert STEPS(np.array([0.0, 300.0, 300.1, 900.0, 900.1])).tolist() == [1.0, 1.0, 0.5, 0.25, 0.0]


def test_weighted_catchment_with_gaussian_decay_by_hand():
    w = gaussian_weights(5.0)
    got = weighted_catchment(PAIRS, SUPPLY, 3, w)
    by_hand = [10 * math.exp(-4 / 50), 10 * math.exp(-49 / 50) + 20 * math.exp(-16 / 50), 20 * math.exp(-144 / 50)]
    assert got == pytest.approx(by_hand)
    assert gaussian_weights(5.0, max_min=10)(np.array([600.0, 601.0]))[1] == 0


def test_gravity_decay_by_hand():
    w = gravity_weights(1.0, -2.0, min_min=1.0)
    assert w(np.array([30.0, 60.0, 120.0, 420.0])) == pytest.approx([1.0, 1.0, 0.25, 1 / 49])
    got = weighted_catchment(PAIRS, SUPPLY, 3, w)
    assert got == pytest.approx([10 / 4, 10 / 49 + 20 / 16, 20 / 144])
    assert gravity_weights(1.0, -1.0)(np.array([0.0]))[0] == 1.0  # no pole at 0


def test_decay_function_from_a_mapping_and_its_errors():
    f = decay_function({"kind": "step", "steps_min": {5: 1, 10: 0.5}})
    assert f(np.array([400.0]))[0] == 0.5
    assert decay_function({"kind": "gravity", "scale_min": 1, "alpha": -1})(np.array([120.0]))[0] == 0.5
    assert decay_function({"kind": "gaussian", "sigma_min": 1})(np.array([0.0]))[0] == 1.0
    for bad, match in (({"kind": "kernel"}, "衰减类型"), ({"kind": "step", "steps_min": {}}, "step 衰减"),
                       ({"kind": "gaussian", "sigma_min": 0}, "sigma_min"),
                       ({"kind": "gravity", "scale_min": 1, "alpha": 1}, "alpha < 0")):
        with pytest.raises(ConfigError, match=match):
            decay_function(bad)


def test_step_e2sfca_with_one_zone_is_the_2sfca():
    """W = 1 within 15 minutes: E2SFCA equals the step 2SFCA of svcov.access.summary on a travel model."""
    travel = StraightLineTravel()
    crs = "EPSG:32651"
    facilities = gpd.GeoDataFrame({"capacity": [30.0, 50.0]},
                                  geometry=[Point(330000, 3430000), Point(330600, 3430300)], crs=crs)
    demand = gpd.GeoDataFrame({"children_0_3": [12.0, 7.0, 20.0, 3.0]},
                              geometry=[Point(330100, 3430050), Point(330500, 3430200), Point(331500, 3430000),
                                        Point(329700, 3429800)], crs=crs)
    step, _ = two_step_fca(travel, facilities, demand, 15, weight_column="children_0_3")
    e2 = decay_access(travel, facilities, demand, step_weights({15: 1.0}), 900.0, weight_column="children_0_3")
    assert e2.to_numpy() == pytest.approx(step.to_numpy())
    potential = decay_access(travel, facilities, demand, step_weights({15: 1.0}), 900.0, weight_column="children_0_3",
                              competition=False)
    assert potential.name == "capacity_weighted_catchment" and potential.max() <= 80
