"""GCJ-02 / BD-09 conversion against published reference points."""

import numpy as np
import pytest

from svcov.data import coords

# (lon, lat) pairs published with github wandergis/coordtransform (test/app.js) for input (116.404, 39.915)
WANDERGIS_IN = (116.404, 39.915)
WANDERGIS = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
    "gcj02_to_wgs84_approx": (116.39775550083061, 39.91359571849836),  # their one-step (≈1-2 m) inverse
}
# googollee/eviltransform test cases (wgsLat, wgsLng, gcjLat, gcjLng): Shanghai, Shenzhen, Beijing
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def test_wgs84_to_gcj02_matches_wandergis():
    lon, lat = coords.wgs84_to_gcj02(*WANDERGIS_IN)
    assert (lon, lat) == pytest.approx(WANDERGIS["wgs84_to_gcj02"], abs=1e-12)


def test_bd09_forward_and_back_match_wandergis():
    assert coords.gcj02_to_bd09(*WANDERGIS_IN) == pytest.approx(WANDERGIS["gcj02_to_bd09"], abs=1e-12)
    # the published BD-09 inverse is a one-step approximation (~1e-6 degrees); ours iterates to exact
    assert coords.bd09_to_gcj02(*WANDERGIS_IN) == pytest.approx(WANDERGIS["bd09_to_gcj02"], abs=2e-6)
    assert coords.gcj02_to_bd09(*coords.bd09_to_gcj02(*WANDERGIS_IN)) == pytest.approx(WANDERGIS_IN, abs=1e-9)


@pytest.mark.parametrize("wlat,wlon,glat,glon", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wlat, wlon, glat, glon):
    lon, lat = coords.wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-6) and lat == pytest.approx(glat, abs=1e-6)


@pytest.mark.parametrize("wlat,wlon,glat,glon", EVILTRANSFORM)
def test_gcj02_inverse_is_exact(wlat, wlon, glat, glon):
    lon, lat = coords.gcj02_to_wgs84(glon, glat)
    # the published forward value is rounded: the exact inverse returns the WGS-84 point to < 1e-6 degrees
    assert lon == pytest.approx(wlon, abs=1e-6) and lat == pytest.approx(wlat, abs=1e-6)


def test_exact_inverse_beats_one_step_inverse():
    lon, lat = coords.gcj02_to_wgs84(*WANDERGIS_IN)
    back = coords.wgs84_to_gcj02(lon, lat)
    assert back == pytest.approx(WANDERGIS_IN, abs=1e-9)
    # the published one-step inverse is off by metres; ours differs from it by the same order
    assert abs(lon - WANDERGIS["gcj02_to_wgs84_approx"][0]) < 5e-5


def test_round_trips_over_songjiang_are_below_a_millimetre():
    rng = np.random.default_rng(0)
    lon = rng.uniform(121.0, 121.4, 500)
    lat = rng.uniform(30.9, 31.2, 500)
    for forward, inverse in ((coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
                             (coords.wgs84_to_bd09, coords.bd09_to_wgs84)):
        blon, blat = inverse(*forward(lon, lat))
        assert np.abs(blon - lon).max() < 1e-8 and np.abs(blat - lat).max() < 1e-8


def test_offset_in_shanghai_is_hundreds_of_metres():
    lon, lat = coords.wgs84_to_gcj02(121.2270, 31.0050)
    dx_m = (lon - 121.2270) * 95_400
    dy_m = (lat - 31.0050) * 111_000
    assert 300 < np.hypot(dx_m, dy_m) < 800


def test_outside_china_is_unchanged():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == pytest.approx((2.35, 48.85))


@pytest.mark.parametrize("name,expected", [("GCJ-02", "gcj02"), ("高德", "gcj02"), ("Baidu", "bd09"),
                                           ("EPSG:4326", "wgs84"), ("mars", None)])
def test_normalise_coord_system(name, expected):
    assert coords.normalise_coord_system(name) == expected


def test_to_wgs84_rejects_unknown_system():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        coords.to_wgs84([121.0], [31.0], "mars")
