"""Placement of the 街镇 names on the map (svcov.outputs.maplabels), on synthetic squares worked out by hand."""

import numpy as np
import pytest
import shapely

from svcov.outputs.maplabels import first_zoom, label_positions, metres_per_pixel


def test_metres_per_pixel_and_first_zoom():
    bounds = (0.0, 0.0, 10_000.0, 6_200.0)          # a 10 × 6.2 km district in a 1016 × 620 px view
    mpp = metres_per_pixel(bounds)
    assert mpp == pytest.approx(max(10_000 / 1016, 6_200 / 620) * 2 ** 0.25)
    assert first_zoom(bounds, 0.0) == pytest.approx(np.log2(156543.03392 / mpp))


def test_a_name_moves_off_a_marker_in_the_middle():
    square = shapely.box(0, 0, 20_000, 20_000)
    centre = square.representative_point()
    marker = np.array([[centre.x, centre.y]])
    (x, y, outside, xi, yi), = label_positions([square], ["方松街道"], marker, np.array([8.0]))
    mpp = metres_per_pixel(square.bounds)
    half_w, half_h = (4 * 12 + 6) * mpp / 2, (12 * 1.4 + 6) * mpp / 2
    assert not outside and (x, y) == (xi, yi)
    assert abs(x - centre.x) >= half_w + 8 * mpp or abs(y - centre.y) >= half_h + 8 * mpp   # clear of it
    assert square.contains(shapely.Point(x, y))
    free, = label_positions([square], ["方松街道"], np.zeros((0, 2)), np.zeros(0))
    assert np.hypot(free[0] - centre.x, free[1] - centre.y) < 4 * mpp        # nothing in the way: the centre


def test_a_crowded_small_name_goes_beside_its_square_and_names_do_not_overlap():
    big = shapely.box(0, 0, 30_000, 30_000)
    small = shapely.box(14_000, 14_000, 16_000, 16_000)
    district = [big.difference(small), small]
    xs, ys = np.meshgrid(np.linspace(14_100, 15_900, 8), np.linspace(14_100, 15_900, 8))
    markers = np.column_stack([xs.ravel(), ys.ravel()])
    spots = label_positions(district, ["大镇", "小街道"], markers, np.full(len(markers), 8.0),
                            bounds=big.bounds)
    (bx, by, b_out, _, _), (sx, sy, s_out, sxi, syi) = spots
    assert s_out and not small.contains(shapely.Point(sx, sy)) and small.contains(shapely.Point(sxi, syi))
    assert not b_out
    mpp = metres_per_pixel(big.bounds)
    assert abs(bx - sx) > 2 * 12 * mpp or abs(by - sy) > 12 * 1.4 * mpp           # the two names apart
