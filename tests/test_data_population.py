"""Population: the estimated surface (totals, labelling, reproducibility) and the user formats."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from svcov.config import PopulationEstimate
from svcov.data.population import (
    DEMAND_COLUMNS,
    cell_squares,
    estimate_population_surface,
    grid_points,
    load_population_points,
    load_population_raster,
    load_population_vector,
)
from svcov.errors import InputError

GOOD = Path(__file__).parent / "data" / "good"
BROKEN = Path(__file__).parent / "data" / "broken"


def test_songjiang_estimate_totals_and_labels(songjiang_inputs):
    d = songjiang_inputs.demand
    assert list(d.columns) == DEMAND_COLUMNS
    assert d["pop_0_3"].sum() == pytest.approx(62449, abs=0.5)
    assert d["pop_total"].sum() == pytest.approx(1909713, abs=0.5)
    assert d["is_estimate"].all()
    assert d["cell_id"].is_unique
    assert (d["cell_size_m"] == 250).all()
    assert d["jiezhen_code"].nunique() == 17
    assert (d["pop_0_3"] > 0).all()


def test_estimate_is_reproducible(songjiang_config, songjiang_boundaries):
    a = estimate_population_surface(songjiang_boundaries, songjiang_config.population.estimate)
    b = estimate_population_surface(songjiang_boundaries, songjiang_config.population.estimate)
    assert np.array_equal(a["pop_0_3"].to_numpy(), b["pop_0_3"].to_numpy())


def test_estimate_concentrates_near_compounds(songjiang_inputs):
    per_km2 = songjiang_inputs.demand.groupby("jiezhen_name")["pop_0_3"].sum() / \
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
    est = PopulationEstimate(total_pop=800, total_0_3=40, source_zh="测试", compounds=None, cell_size_m=500)
    d = estimate_population_surface(_square_district(), est)
    assert d["pop_0_3"].tolist() == pytest.approx([5.0] * 8)
    assert d["pop_total"].tolist() == pytest.approx([100.0] * 8)


def test_compound_share_moves_people_towards_compounds(tmp_path):
    path = tmp_path / "compounds.geojson"
    gpd.GeoDataFrame({"name": ["小区"]}, geometry=[Point(250, 250)], crs="EPSG:32651").to_file(path)
    est = PopulationEstimate(total_pop=800, total_0_3=40, source_zh="测试", compounds=path, compound_share=1.0,
                             kernel_sigma_m=100, cell_size_m=500)
    d = estimate_population_surface(_square_district(), est)
    assert d["pop_0_3"].sum() == pytest.approx(40)
    near = d.geometry.distance(Point(250, 250)) < 1
    assert d.loc[near, "pop_0_3"].iloc[0] > 0.99 * 40  # σ = 100 m: the other cells get ~nothing
    half = estimate_population_surface(_square_district(), replace(est, compound_share=0.5))
    assert half.loc[near, "pop_0_3"].iloc[0] == pytest.approx(20 + 20 / 8, rel=1e-3)


def test_raster_population(songjiang_boundaries):
    d = load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries, band_value="pop_0_3")
    assert d["pop_0_3"].sum() == pytest.approx(125)  # positive pixels of the 4 × 3 test raster
    assert len(d) == 9
    assert (d["cell_size_m"] == 250).all()
    assert not d["is_estimate"].any()


def test_raster_of_residents_needs_a_share(songjiang_boundaries):
    with pytest.raises(InputError, match="share_0_3"):
        load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries)
    d = load_population_raster(GOOD / "population_0_3_utm.tif", songjiang_boundaries, share_0_3=0.03)
    assert d["pop_total"].sum() == pytest.approx(125)
    assert d["pop_0_3"].sum() == pytest.approx(3.75)
    assert d["is_estimate"].all()  # derived from a share: an estimate


def test_raster_without_overlap(songjiang_boundaries):
    with pytest.raises(InputError, match="没有重叠"):
        load_population_raster(BROKEN / "population_beijing.tif", songjiang_boundaries, band_value="pop_0_3")


def test_raster_with_negative_values(songjiang_boundaries):
    with pytest.raises(InputError, match="负的人口值"):
        load_population_raster(BROKEN / "population_negative.tif", songjiang_boundaries, band_value="pop_0_3")


def test_vector_grid_population(songjiang_boundaries):
    d = load_population_vector(GOOD / "population_grid.gpkg", songjiang_boundaries)
    assert d["pop_0_3"].sum() == pytest.approx(77)
    assert d["pop_total"].sum() == pytest.approx(2400)
    assert d["cell_size_m"].iloc[0] == pytest.approx(250)


def test_points_population(songjiang_boundaries):
    d = load_population_points(GOOD / "population_points.csv", songjiang_boundaries)
    assert d["pop_0_3"].tolist() == [25, 40, 12]
    assert d["jiezhen_name"].tolist() == ["岳阳街道", "方松街道", "九亭镇"]
    assert np.isnan(d["cell_size_m"]).all()


def test_points_population_negative(songjiang_boundaries):
    with pytest.raises(InputError, match="第 2 行.*0-3岁人口数超出范围"):
        load_population_points(BROKEN / "population_negative.csv", songjiang_boundaries)


def test_cell_squares_for_maps():
    d = estimate_population_surface(_square_district(), PopulationEstimate(800, 40, "t", None, cell_size_m=500))
    squares = cell_squares(d)
    assert squares.area.tolist() == pytest.approx([250_000] * 8)
    assert list(squares.index) == list(d.index)
