"""svcov.access.fit: does the road network cover the district? Worked by hand on a synthetic grid, and on the real
Jing'an extract against the bundled Songjiang job (a network that misses the whole district)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from svcov.access.engine import NetworkTravelModel
from svcov.access.fit import NetworkFitError, check_network_fit, drive_network_note, network_fit
from svcov.cli import main
from svcov.network.build import network_from_arrays
from svcov.network.synthetic import DEFAULT_ORIGIN, grid_network

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:32651"
X0, Y0 = DEFAULT_ORIGIN


def _frames():
    """Two 1 km × 1 km 街镇 side by side; a 6 × 6 street grid (200 m) covers only the western one."""
    units = gpd.GeoDataFrame({"jiezhen_code": ["W", "E"], "name": ["西", "东"], "area_km2": [1.0, 1.0]},
                             geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                             crs=CRS)
    xs = np.r_[np.arange(50, 1000, 100), np.arange(1050, 2000, 100)]
    gx, gy = np.meshgrid(xs, np.arange(50, 1000, 100))
    demand = gpd.GeoDataFrame({"elderly_60": 1.0, "jiezhen_code": np.where(gx.ravel() < 1000, "W", "E")},
                              geometry=gpd.points_from_xy(X0 + gx.ravel(), Y0 + gy.ravel()), crs=CRS)
    facilities = gpd.GeoDataFrame({"jiezhen_code": ["W", "E"]},
                                  geometry=gpd.points_from_xy([X0 + 500, X0 + 1500], [Y0 + 500, Y0 + 500]), crs=CRS)
    return units, demand, facilities


def test_fit_by_hand():
    units, demand, facilities = _frames()
    model = NetworkTravelModel(grid_network(6, 6, 200.0), snap_max_m=120.0, min_component_nodes=1)
    table = network_fit(model, units, demand, facilities, "elderly_60").set_index("jiezhen_code")
    assert table.loc["W", "area_share_in_network"] == pytest.approx(1.0)
    assert table.loc["E", "area_share_in_network"] == pytest.approx(0.0)
    # eastern cells at x = 1050, 1150: within 120 m of the network's eastern edge (x = 1000) only the first column
    assert table.loc["W", "pop_share_on_network"] == 1.0 and table.loc["E", "pop_share_on_network"] == 0.1
    assert table.loc["全区", "area_share_in_network"] == pytest.approx(0.5)
    assert table.loc["全区", "pop_share_on_network"] == pytest.approx(0.55)
    assert (table.loc["W", "n_facilities_on_network"], table.loc["E", "n_facilities_on_network"]) == (1, 0)
    assert table["fits"].tolist() == [True, False, False]
    with pytest.raises(NetworkFitError) as info:
        check_network_fit(table.reset_index(), min_share=0.9, group_name_zh="60 岁及以上老人", snap_max_m=120,
                          source_zh="测试路网")
    text = str(info.value)
    assert "全区面积的 50% 在路网范围内, 55% 的 60 岁及以上老人距道路不超过 120 米" in text
    assert "受影响最大的街镇: 东: 面积 0% 在路网范围内" in text and "osm_download" in text
    assert "network.source: none" in text and len(info.value.table) == 3
    check_network_fit(table.reset_index(), min_share=0.0, group_name_zh="老人", snap_max_m=120, source_zh="x")


def test_a_network_without_footways_looks_like_a_drive_network():
    def net(highways):
        return network_from_arrays([0, 100, 200], [0, 0, 0], [0, 1], [1, 2], crs=CRS,
                                   edge_attrs=pd.DataFrame({"highway": highways}))

    assert "机动车路网" in drive_network_note(net(["primary", "residential;living_street"]))
    assert drive_network_note(net(["primary", "footway"])) is None
    assert drive_network_note(grid_network(2, 2, 100.0)) is None        # no highway tags: nothing to say


def test_validate_a_network_that_misses_the_district(capsys):
    network = ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm"
    assert main(["validate", "-q", "--network", str(network)]) == 1
    err = capsys.readouterr().err
    assert "路网没有覆盖本区" in err and "全区面积的 0% 在路网范围内" in err and "17 个街镇低于 90%" in err
    assert "受影响最大的街镇" in err and "路网看起来是机动车路网" in err
