"""Population: the estimated surface (totals, labelling, reproducibility) and the user formats."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from svcov.config import DemandGroup, PopulationEstimate
from svcov.data.population import (
    cell_squares,
    demand_columns,
    estimate_population_surface,
    grid_points,
    load_population_points,
    load_population_raster,
    load_population_vector,
)
from svcov.errors import InputError

GOOD = Path(__file__).parent / "data" / "good"
BROKEN = Path(__file__).parent / "data" / "broken"

KIDS = DemandGroup("children_0_3", "0-3 岁儿童", aliases=("0-3岁人口",), total=40)
RESIDENTS = DemandGroup("residents", "常住人口", total=800)
GROUPS = (KIDS, RESIDENTS)


def test_songjiang_estimate_totals_and_labels(songjiang_inputs, songjiang_config):
    d = songjiang_inputs.demand
    assert list(d.columns) == demand_columns(songjiang_config.population.groups)
    assert list(d.columns)[1:3] == ["children_0_3", "residents"]
    assert d["children_0_3"].sum() == pytest.approx(62449, abs=0.5)
    assert d["residents"].sum() == pytest.approx(1909713, abs=0.5)
    assert d["is_estimate"].all()
    assert d["cell_id"].is_unique
    assert (d["cell_size_m"] == 250).all()
    assert d["jiezhen_code"].nunique() == 17
    assert (d["children_0_3"] > 0).all()


def test_estimate_is_reproducible(songjiang_config, songjiang_boundaries):
    pop = songjiang_config.population
    a = estimate_population_surface(songjiang_boundaries, pop.estimate, pop.groups)
    b = estimate_population_surface(songjiang_boundaries, pop.estimate, pop.groups)
    assert np.array_equal(a["children_0_3"].to_numpy(), b["children_0_3"].to_numpy())


def test_estimate_concentrates_near_compounds(songjiang_inputs):
    per_km2 = songjiang_inputs.demand.groupby("jiezhen_name")["children_0_3"].sum() / \
        songjiang_inputs.boundaries.set_index("name")["area_km2"]
    # 方松街道 (65 compounds, 14.9 km²) is far denser than 叶榭镇 (no compounds, 72.7 km²)
    assert per_km2["方松街道"] > 5 * per_km2["叶榭镇"]


def _square_district():
    return gpd.GeoDataFrame({"jiezhen_code": ["W", "E"], "name": ["西", "东"], "area_km2": [1.0, 1.0]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:32651")


def test_grid_points_cover_the_district_by_hand():
    cells = grid_points(_square_district(), 500)
    assert len(cells) == 8  # 2 km × 1 km at 500 m
    assert sorted(cells["jiezhen_code"].value_counts().tolist()) == [4, 4]
    assert sorted(set(cells.geometry.x)) == [250, 750, 1250, 1750]


def test_uniform_estimate_without_compounds_by_hand():
    est = PopulationEstimate(source_zh="测试", compounds=None, cell_size_m=500)
    d = estimate_population_surface(_square_district(), est, GROUPS)
    assert d["children_0_3"].tolist() == pytest.approx([5.0] * 8)
    assert d["residents"].tolist() == pytest.approx([100.0] * 8)


def test_a_group_derived_as_a_share_of_another_by_hand():
    est = PopulationEstimate(source_zh="测试", compounds=None, cell_size_m=500)
    elderly = DemandGroup("elderly_60", "60 岁及以上老人", share_of="residents", share=0.25)
    d = estimate_population_surface(_square_district(), est, (elderly, RESIDENTS))
    assert list(d.columns)[:3] == ["cell_id", "elderly_60", "residents"]
    assert d["elderly_60"].tolist() == pytest.approx([25.0] * 8)


def test_compound_share_moves_people_towards_compounds(tmp_path):
    path = tmp_path / "compounds.geojson"
    gpd.GeoDataFrame({"name": ["小区"]}, geometry=[Point(250, 250)], crs="EPSG:32651").to_file(path)
    est = PopulationEstimate(source_zh="测试", compounds=path, compound_share=1.0, kernel_sigma_m=100,
                             cell_size_m=500)
    d = estimate_population_surface(_square_district(), est, GROUPS)
    assert d["children_0_3"].sum() == pytest.approx(40)
    near = d.geometry.distance(Point(250, 250)) < 1
    assert d.loc[near, "children_0_3"].iloc[0] > 0.99 * 40  # σ = 100 m: the other cells get ~nothing
    half = estimate_population_surface(_square_district(), replace(est, compound_share=0.5), GROUPS)
    assert half.loc[near, "children_0_3"].iloc[0] == pytest.approx(20 + 20 / 8, rel=1e-3)


def test_raster_population(songjiang_boundaries):
    d = load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries, groups=(KIDS,))
    assert d["children_0_3"].sum() == pytest.approx(125)  # positive pixels of the 4 × 3 test raster
    assert len(d) == 9
    assert (d["cell_size_m"] == 250).all()
    assert not d["is_estimate"].any()


def test_raster_counts_one_group_and_the_others_are_shares(songjiang_boundaries):
    with pytest.raises(InputError, match="share_of"):
        load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries, groups=GROUPS)
    kids = DemandGroup("children_0_3", "0-3 岁儿童", share_of="residents", share=0.03)
    d = load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries, groups=(kids, RESIDENTS))
    assert d["residents"].sum() == pytest.approx(125)
    assert d["children_0_3"].sum() == pytest.approx(3.75)
    assert d["is_estimate"].all()  # derived from a share: an estimate


def test_raster_without_overlap(songjiang_boundaries):
    with pytest.raises(InputError, match="没有重叠"):
        load_population_raster(BROKEN / "population_beijing.tif", songjiang_boundaries, groups=(KIDS,))


def test_raster_with_negative_values(songjiang_boundaries):
    with pytest.raises(InputError, match="负的人口值"):
        load_population_raster(BROKEN / "population_negative.tif", songjiang_boundaries, groups=(KIDS,))


def test_vector_grid_population(songjiang_boundaries):
    d = load_population_vector(GOOD / "population_grid.gpkg", songjiang_boundaries, groups=GROUPS)
    assert d["children_0_3"].sum() == pytest.approx(77)
    assert d["residents"].sum() == pytest.approx(2400)
    assert d["cell_size_m"].iloc[0] == pytest.approx(250)


def test_points_population(songjiang_boundaries):
    d = load_population_points(GOOD / "population_points.csv", songjiang_boundaries, groups=GROUPS)
    assert d["children_0_3"].tolist() == [25, 40, 12]
    assert d["jiezhen_name"].tolist() == ["岳阳街道", "方松街道", "九亭镇"]
    assert np.isnan(d["cell_size_m"]).all()


def test_any_group_by_its_column(tmp_path, songjiang_boundaries):
    csv = tmp_path / "elderly.csv"
    csv.write_text("经度,纬度,60岁及以上人口,常住人口\n121.2270,31.0050,300,900\n", encoding="utf-8")
    elderly = DemandGroup("elderly_60", "60 岁及以上老人", column="60岁及以上人口")
    d = load_population_points(csv, songjiang_boundaries, groups=(elderly, RESIDENTS))
    assert list(d.columns)[:3] == ["cell_id", "elderly_60", "residents"]
    assert d["elderly_60"].tolist() == [300] and not d["is_estimate"].any()
    by_name = load_population_points(csv, songjiang_boundaries,
                                     groups=(DemandGroup("elderly_60", "60岁及以上人口"),))  # the header is its name
    assert by_name["elderly_60"].tolist() == [300]


def test_a_missing_group_column_names_the_group_and_the_fix(tmp_path, songjiang_boundaries):
    csv = tmp_path / "kids.csv"
    csv.write_text("经度,纬度,0-3岁人口\n121.2270,31.0050,30\n", encoding="utf-8")
    elderly = DemandGroup("elderly_60", "60 岁及以上老人", aliases=("老年人口",))
    with pytest.raises(InputError, match=r"缺少「60 岁及以上老人」的人数列.*population.groups.*0-3岁人口"):
        load_population_points(csv, songjiang_boundaries, groups=(elderly,))


def test_points_population_negative(songjiang_boundaries):
    with pytest.raises(InputError, match="第 2 行.*0-3 岁儿童人数超出范围"):
        load_population_points(BROKEN / "population_negative.csv", songjiang_boundaries, groups=(KIDS,))


def test_cell_squares_for_maps():
    d = estimate_population_surface(_square_district(), PopulationEstimate("t", None, cell_size_m=500), GROUPS)
    squares = cell_squares(d)
    assert squares.area.tolist() == pytest.approx([250_000] * 8)
    assert list(squares.index) == list(d.index)
