"""svcov.access.service_areas: polygons built from reachable road pieces; places inside are reached in time,
covered cells are inside, and places by an unreached road (across a river) are left out."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from svcov import settings
from svcov.access.engine import NetworkTravelModel, StraightLineTravelModel
from svcov.access.service_areas import edge_samples, facility_service_areas, service_area, uses_grid
from svcov.network.build import network_from_arrays
from svcov.network.sources import load_network
from svcov.network.synthetic import random_points

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_460_000.0
ONE_MPS = 3.6
OSM = Path(__file__).parent / "data" / "shanghai_jingan_drive_osm.osm"


def _points(xy):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS)


def test_straight_line_circles():
    model = StraightLineTravelModel(CRS, walk_speed_kph=ONE_MPS, circuity_factor=1.25)
    area = service_area(model, _points([[0, 0]]), 10)  # 600 s → 480 m
    assert area.area == pytest.approx(np.pi * 480 ** 2, rel=2e-3)
    two = service_area(model, _points([[0, 0], [500, 0]]), 10)
    assert two.geom_type == "Polygon" and two.area < 2 * area.area
    assert service_area(model, _points(np.zeros((0, 2))), 10).is_empty


def test_one_straight_road_gives_a_diamond():
    """Facility on a straight road, 1 m/s, 1 minute: |y| + |x - 500| ≤ 60, a diamond of 7,200 m²."""
    net = network_from_arrays([X0, X0 + 1000], [Y0, Y0], [0], [1], crs=CRS)
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    area = service_area(model, _points([[500, 0]]), 1)
    assert area.area == pytest.approx(7200, rel=0.02)
    minx, miny, maxx, maxy = area.bounds
    assert (minx - X0, maxx - X0) == pytest.approx((440, 560), abs=settings.service_area_sample_m)
    assert (miny - Y0, maxy - Y0) == pytest.approx((-60, 60), abs=1.0)


def test_zero_length_edge_is_harmless():
    net = network_from_arrays([X0, X0 + 1000, X0 + 1000], [Y0, Y0, Y0], [0, 1], [1, 2], crs=CRS)
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    assert service_area(model, _points([[500, 0]]), 1).area == pytest.approx(7200, rel=0.02)


def test_places_across_the_river_are_not_claimed():
    """Two parallel roads 100 m apart, not connected: the service area stops half-way between them."""
    net = network_from_arrays([X0, X0 + 1000, X0, X0 + 1000], [Y0, Y0, Y0 + 100, Y0 + 100], [0, 2], [1, 3], crs=CRS)
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    area = service_area(model, _points([[500, 0]]), 15)
    assert area.bounds[3] - Y0 == pytest.approx(50, abs=1.0)
    assert not area.contains(shapely.Point(X0 + 500, Y0 + 55))
    assert area.contains(shapely.Point(X0 + 500, Y0 + 45))
    assert np.isinf(model.nearest(_points([[500, 0]]), _points([[500, 55]]))["time_s"].iloc[0])


@pytest.fixture(scope="module")
def jingan():
    model = NetworkTravelModel(load_network(OSM, crs_metric=CRS))
    facilities = random_points(model.network, 4, seed=21)
    return model, facilities


@pytest.mark.parametrize("threshold_min", [5, 10])
def test_places_inside_are_reached_and_covered_places_are_inside(jingan, threshold_min):
    model, facilities = jingan
    tol = settings.service_area_sample_m
    area = service_area(model, facilities, threshold_min)
    rng = np.random.default_rng(threshold_min)
    minx, miny, maxx, maxy = area.buffer(50).bounds
    probe = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(minx, maxx, 8000), rng.uniform(miny, maxy, 8000)), crs=CRS)
    time_s = model.nearest(facilities, probe)["time_s"].to_numpy()
    inside = probe.within(area).to_numpy()
    deep_inside = probe.within(area.buffer(-tol)).to_numpy()
    near = probe.within(area.buffer(tol)).to_numpy()
    covered = time_s <= threshold_min * 60
    assert inside.sum() > 250 and covered.sum() > 250
    assert (time_s[deep_inside] <= threshold_min * 60).all()   # never claims a place out of reach
    assert near[covered].all()                                  # every covered place is inside
    assert (inside == covered).mean() > 0.99


def test_thresholds_nest_and_samples_are_cached(jingan):
    model, facilities = jingan
    areas = [service_area(model, facilities, t) for t in (5, 10, 15)]
    assert areas[0].area < areas[1].area < areas[2].area
    assert areas[1].buffer(1e-6).contains(areas[0])
    assert edge_samples(model) is edge_samples(model)


def test_per_facility_layer(jingan):
    model, facilities = jingan
    far = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=CRS)  # nowhere near the network
    frame = gpd.GeoDataFrame(pd.concat([facilities, far], ignore_index=True), crs=CRS).assign(
        facility_id=["a", "b", "c", "d", "far"], name="幼儿园", type="public_nursery_kindergarten")
    layer = facility_service_areas(model, frame, (5, 15))
    assert len(layer) == 10
    assert list(layer.columns[:5]) == ["facility_id", "name", "type", "threshold_min", "area_km2"]
    assert (layer["travel_mode"] == "network").all()
    far = layer[layer["facility_id"] == "far"]
    assert far.geometry.is_empty.all() and (far["area_km2"] == 0).all()
    a = layer[layer["facility_id"] == "a"].set_index("threshold_min")["area_km2"]
    assert 0 < a[5] < a[15] < np.pi * 1.0 ** 2  # never more than the 1 km circle a 15-minute walk allows
    assert model.unreachable.query("role == 'facilities'")["id"].tolist() == [4]


# --- the grid construction of city-sized networks (svcov.access.area_grid), forced here on small networks ------


@pytest.fixture()
def on_grid(monkeypatch, jingan):
    monkeypatch.setattr(settings, "service_area_max_samples", 0)
    model = NetworkTravelModel(jingan[0].network)  # a fresh model: no cached samples or grid
    return model, jingan[1]


def test_only_large_networks_use_the_grid(jingan, monkeypatch):
    assert not uses_grid(jingan[0])
    assert not uses_grid(StraightLineTravelModel(CRS))
    monkeypatch.setattr(settings, "service_area_max_samples", 0)
    assert uses_grid(jingan[0])


@pytest.mark.parametrize("threshold_min", [5, 10])
def test_grid_places_inside_are_reached_and_covered_places_are_inside(on_grid, threshold_min):
    model, facilities = on_grid
    area = service_area(model, facilities, threshold_min)
    tol = 2 * model._road_grid.pixel_m  # about a pixel: nearest road pixel, and the contour between pixel centres
    rng = np.random.default_rng(threshold_min)
    minx, miny, maxx, maxy = area.buffer(50).bounds
    probe = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(minx, maxx, 8000), rng.uniform(miny, maxy, 8000)), crs=CRS)
    time_s = model.nearest(facilities, probe)["time_s"].to_numpy()
    inside = probe.within(area).to_numpy()
    covered = time_s <= threshold_min * 60
    assert inside.sum() > 250 and covered.sum() > 250
    assert (inside == covered).mean() > 0.99
    # misses farther than the tolerance come only from unconnected roads crossing within a pixel (bridges)
    far_off = (inside != covered) & (probe.distance(area.boundary).to_numpy() > tol)
    assert far_off.mean() < 0.002


def test_grid_per_facility_equals_the_dissolved_area_of_one(on_grid):
    model, facilities = on_grid
    far = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=CRS)
    frame = gpd.GeoDataFrame(pd.concat([facilities.iloc[:2], far], ignore_index=True), crs=CRS).assign(
        facility_id=["a", "b", "far"], name="x", type="t")
    layer = facility_service_areas(model, frame, (5, 15))
    assert len(layer) == 6 and layer.loc[layer["facility_id"] == "far", "area_km2"].eq(0).all()
    one = service_area(model, facilities.iloc[[1]], 15)
    b15 = layer[(layer["facility_id"] == "b") & (layer["threshold_min"] == 15)].geometry.iloc[0]
    assert b15.symmetric_difference(one).area < 1e-3 * one.area  # the same up to the contour at its fringe
    assert layer["geometry"].is_valid.all()


def test_grid_stops_half_way_to_an_unconnected_road(monkeypatch):
    monkeypatch.setattr(settings, "service_area_max_samples", 0)
    monkeypatch.setattr(settings, "service_area_grid_m", 5.0)
    net = network_from_arrays([X0, X0 + 1000, X0, X0 + 1000], [Y0, Y0, Y0 + 100, Y0 + 100], [0, 2], [1, 3], crs=CRS)
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    area = service_area(model, _points([[500, 0]]), 15)
    assert area.bounds[3] - Y0 == pytest.approx(50, abs=5.0)
    assert area.contains(shapely.Point(X0 + 500, Y0 + 40)) and not area.contains(shapely.Point(X0 + 500, Y0 + 60))
    diamond = service_area(model, _points([[500, 0]]), 1)   # |y| + |x - 500| ≤ 60: 7,200 m²
    assert diamond.area == pytest.approx(7200, rel=0.06)
