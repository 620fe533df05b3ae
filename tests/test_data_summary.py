"""The per-街镇 data summary."""

from __future__ import annotations

import pytest

from svcov.data.summary import DISTRICT_CODE, jiezhen_data_summary, summary_labels


def test_summary_on_songjiang(songjiang_inputs):
    i = songjiang_inputs
    s = jiezhen_data_summary(i.boundaries, i.facilities, i.demand, i.config.facility_types,
                             i.config.population.groups)
    assert len(s) == 18 and s["jiezhen_code"].iloc[-1] == DISTRICT_CODE
    body, total = s.iloc[:-1], s.iloc[-1]
    assert total["n_facilities"] == 67 == body["n_facilities"].sum()
    assert total["children_0_3"] == pytest.approx(62449, abs=0.5)
    assert body["children_0_3"].sum() == pytest.approx(total["children_0_3"])
    assert total["residents_per_km2"] == pytest.approx(total["residents"] / total["area_km2"])
    assert (body["n_facilities"] == body[[c for c in s.columns if c.startswith("n_") and c not in
                                          ("n_facilities", "n_type_estimated")]].sum(axis=1)).all()
    by_name = s.set_index("jiezhen_name")
    # SOURCES.md: OSM has no kindergartens in 新桥, 新浜, 叶榭
    assert by_name.loc[["新桥镇", "新浜镇", "叶榭镇"], "n_facilities"].tolist() == [0, 0, 0]
    # typed public by name: 实验 ×2, 附属; 「松江区…」 alone is no evidence (data/config/songjiang.yaml)
    assert by_name.loc["方松街道", "n_public_nursery_kindergarten"] == 3


def test_labels_say_estimate(facility_types, songjiang_config):
    groups = songjiang_config.population.groups
    est = summary_labels(facility_types, groups, population_is_estimate=True)
    assert est["children_0_3"] == "0-3岁儿童(估算)" and est["n_inclusive_childcare_point"] == "普惠性托育点(个)"
    assert est["residents_per_km2"] == "常住人口密度(估算)(人/平方公里)"
    assert summary_labels(facility_types, groups, population_is_estimate=False)["children_0_3"] == "0-3岁儿童"
