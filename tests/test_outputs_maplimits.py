"""svcov.outputs.maplimits: large runs are drawn lighter (coarser cells keep their totals, simplified areas stay
close to the originals); small runs are left as they are."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from svcov.outputs import maplimits
from svcov.outputs.maplimits import coarser_cells, lighten_layers, simplify_areas

CRS = "EPSG:32651"


def _cells(n_side: int, size: float = 250.0) -> gpd.GeoDataFrame:
    gx, gy = np.meshgrid(np.arange(n_side) * size + size / 2, np.arange(n_side) * size + size / 2)
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame({"cell_id": [f"c{i}" for i in range(gx.size)], "pop_0_3": rng.uniform(0, 5, gx.size),
                             "pop_total": rng.uniform(0, 90, gx.size), "jiezhen_code": "J1", "is_estimate": True,
                             "cell_size_m": size},
                            geometry=gpd.points_from_xy(350_000 + gx.ravel(), 3_440_000 + gy.ravel()), crs=CRS)


def test_coarser_cells_keep_totals():
    cells = _cells(100)                    # 10,000 cells
    out = coarser_cells(cells, 1_000)
    assert len(out) <= 1_000 and out["cell_size_m"].iloc[0] == 1000.0
    assert out["pop_0_3"].sum() == pytest.approx(cells["pop_0_3"].sum())
    assert out["pop_total"].sum() == pytest.approx(cells["pop_total"].sum())
    assert out["jiezhen_code"].eq("J1").all()


def test_coarser_cells_per_year():
    cells = _cells(40)
    both = gpd.GeoDataFrame(np.repeat(cells.values, 2, axis=0), columns=cells.columns, crs=CRS).assign(
        year=[2022, 2023] * len(cells))
    both = both.set_geometry("geometry").astype({"pop_0_3": float, "pop_total": float, "cell_size_m": float})
    out = coarser_cells(both, 500, by=("year",))
    assert set(out["year"]) == {2022, 2023}
    assert out.groupby("year")["pop_0_3"].sum().to_numpy() == pytest.approx([cells["pop_0_3"].sum()] * 2)


def test_simplify_areas_drops_specks_and_stays_close():
    wiggly = shapely.Point(350_000, 3_440_000).buffer(2_000, quad_segs=256)
    speck = shapely.box(360_000, 3_440_000, 360_010, 3_440_010)
    areas = gpd.GeoDataFrame({"service": ["s"], "threshold_min": [15]},
                             geometry=[shapely.MultiPolygon([wiggly, speck])], crs=CRS)
    out = simplify_areas(areas, 20.0).geometry.iloc[0]
    assert out.geom_type == "Polygon" and out.is_valid
    assert shapely.get_num_coordinates(out) < shapely.get_num_coordinates(wiggly) / 4
    assert out.symmetric_difference(wiggly).area < 0.01 * wiggly.area


def test_small_runs_are_unchanged_and_large_ones_lighter(monkeypatch):
    cells = _cells(20)
    areas = gpd.GeoDataFrame({"service": ["s"], "threshold_min": [15]},
                             geometry=[shapely.Point(350_000, 3_440_000).buffer(2_000, quad_segs=64)], crs=CRS)
    bounds = gpd.GeoDataFrame(geometry=[shapely.box(350_000, 3_440_000, 360_000, 3_450_000)], crs=CRS)
    demand, out_areas, uncovered = lighten_layers(bounds, cells, areas, cells.assign(year=2023))
    assert demand is cells and out_areas is areas and len(uncovered) == len(cells)
    monkeypatch.setattr(maplimits, "MAX_CELLS", 50)
    monkeypatch.setattr(maplimits, "MAX_AREA_VERTICES", 10)
    demand, out_areas, uncovered = lighten_layers(bounds, cells, areas, cells.assign(year=2023))
    assert len(demand) <= 50 and len(uncovered) <= 50 and "year" in uncovered.columns
    assert shapely.get_num_coordinates(out_areas.geometry.iloc[0]) < shapely.get_num_coordinates(areas.geometry.iloc[0])
