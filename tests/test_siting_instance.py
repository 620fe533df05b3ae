"""Plans, rule inputs, sparse time matrices and the merging of demand rows (svcov.siting.instance)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from svcov.errors import ConfigError
from svcov.siting.instance import UNLIMITED, Plan, SiteRules, group_rows, select_rows, sparse_within


def test_single_plans():
    assert Plan.single(7, year=2022) == Plan((2022,), (7,), (7,))
    assert Plan.single(5, k_max=7) == Plan((None,), (5,), (7,))
    assert Plan.single(None) == Plan((None,), (0,), (UNLIMITED,))
    assert Plan.single(None, k_max=3).max_new == (3,)


def test_phased_plan_and_deadlines():
    plan = Plan.phased({2023: 6, 2021: (5, 7), 2022: 6})
    assert plan.years == (2021, 2022, 2023) and plan.min_new == (5, 6, 6) and plan.max_new == (7, 6, 6)
    assert plan.deadline_index(2022) == 1 and plan.deadline_index(2020) == 0
    assert plan.deadline_index(2024) is None and plan.deadline_index(None) == 2
    assert Plan.single(3).deadline_index(2030) == 0
    assert plan.label() == "2021、2022、2023"


@pytest.mark.parametrize("years, lo, hi", [((), (), ()), ((2021,), (3,), (2,)), ((2022, 2021), (1, 1), (1, 1)),
                                           ((2021, None), (1, 1), (1, 1)), ((2021,), (1, 1), (1,))])
def test_bad_plans(years, lo, hi):
    with pytest.raises(ConfigError, match="计划的年份应递增"):
        Plan(years, lo, hi)


def test_site_rules():
    rules = SiteRules(min_sites={"a": 1}, max_sites={"b": 2}, default_max_sites=3, zone_names={"a": "岳阳街道"})
    assert rules.max_for("b") == 2 and rules.max_for("c") == 3
    assert rules.zone_label("a") == "岳阳街道 (a)" and rules.zone_label("z") == "z"
    with pytest.raises(ConfigError, match="非负整数"):
        SiteRules(min_sites={"a": -1})
    with pytest.raises(ConfigError, match="非负整数"):
        SiteRules(default_max_sites=1.5)


def test_sparse_within_keeps_zero_times_and_drops_far_pairs():
    dense = np.array([[0.0, 5.0, np.inf], [7.0, 2.0, 3.0]])
    m = sparse_within(dense, 5.0, where="t")
    assert m.nnz == 4 and m.indices.tolist() == [0, 1, 1, 2] and m.data.tolist() == [0, 5, 2, 3]
    coo = sp.coo_array(([3.0, 0.0, 9.0], ([1, 0, 0], [2, 0, 1])), shape=(2, 3))
    m2 = sparse_within(coo, 5.0, where="t")
    assert m2.indptr.tolist() == [0, 1, 2] and m2.indices.tolist() == [0, 2] and m2.data.tolist() == [0, 3]


@pytest.mark.parametrize("cost, match", [(np.zeros(3), "二维"), (np.array([[np.nan]]), "NaN"),
                                         (np.array([[-1.0]]), "负数"),
                                         (sp.coo_array(([-2.0], ([0], [0])), shape=(1, 1)), "负数")])
def test_sparse_within_rejects_bad_matrices(cost, match):
    with pytest.raises(ConfigError, match=match):
        sparse_within(cost, 5.0, where="t")


def test_group_rows_is_exact_and_uses_values_and_extra_columns_when_asked():
    m = sparse_within(np.array([[1.0, np.inf], [2.0, np.inf], [1.0, np.inf], [np.inf, 1.0], [np.inf, np.inf]]), 9,
                      where="t")
    inverse, first = group_rows([(m, False)])
    assert inverse.tolist() == [0, 0, 0, 1, 2] and first.tolist() == [0, 3, 4]
    inverse, _ = group_rows([(m, True)])
    assert inverse.tolist() == [0, 1, 0, 2, 3]
    inverse, _ = group_rows([(m, False)], extra=np.array([[1], [0], [1], [0], [0]], dtype=bool))
    assert inverse.tolist() == [0, 1, 0, 2, 3]


def test_select_rows_keeps_explicit_zeros():
    m = sparse_within(np.array([[0.0, 1.0], [5.0, 0.0]]), 9, where="t")
    assert select_rows(m, np.array([1])).data.tolist() == [5.0, 0.0]
