"""Tests of svcov.outputs.charts: CJK font without missing glyphs, grey-print styling, the static maps."""

import io
import warnings

import _outputs_data as data
import matplotlib
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.figure import Figure
from PIL import Image

from svcov.outputs import charts
from svcov.outputs.context import SITE_COLOR, STATUS_COLORS, type_styles


def _image(png: bytes) -> np.ndarray:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _has_color(pixels: np.ndarray, hex_color: str, tolerance: int = 6) -> bool:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return bool((np.abs(pixels.astype(int) - rgb).max(axis=2) <= tolerance).any())


def test_cjk_font_ships_with_the_project():
    assert charts.cjk_font_path().is_file()
    assert charts.cjk_font_family() == "Noto Sans CJK SC"


def test_chinese_text_has_no_missing_glyphs_and_the_check_would_catch_them():
    text = "松江区 街镇 覆盖率 「3个一」 达标 未达标 数据不足 −5%"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.trend_chart([2021, 2022], [0.1, 0.2], title=text)
    fig = Figure()
    fig.text(0.5, 0.5, "街镇")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), pytest.warns(UserWarning, match="missing from"):
        fig.savefig(io.BytesIO(), format="png")


def test_coverage_bars_and_trend_and_counts_render():
    pixels = _image(charts.coverage_bars(["甲镇", "乙街道", "丙镇"], [0.5, np.nan, 0.9], prev_shares=[0.4, 0.2, 0.8],
                                         year=2023, prev_year=2022, title="覆盖率"))
    assert _has_color(pixels, "#404040") and _has_color(pixels, "#d9d9d9")
    counts = pd.DataFrame({"达标": [3, 5], "未达标": [10, 9], "数据不足": [4, 3]}, index=[2022, 2023])
    pixels = _image(charts.status_counts_chart(counts, title="街镇数"))
    assert all(_has_color(pixels, STATUS_COLORS[s]) for s in ("达标", "未达标", "数据不足"))


def test_status_map_fills_each_status():
    config, inputs = data.songjiang()
    b = inputs.boundaries
    status = pd.Series(["达标", "未达标"] * 8 + ["数据不足"], index=b["jiezhen_code"])
    pixels = _image(charts.status_map(b, status.iloc[:-1], title="「3个一」"))     # the last one missing → 数据不足
    assert all(_has_color(pixels, STATUS_COLORS[s]) for s in ("达标", "未达标", "数据不足"))


def test_choropleth_marks_missing_values():
    config, inputs = data.songjiang()
    b = inputs.boundaries
    values = pd.Series(np.linspace(0, 1, len(b)), index=b["jiezhen_code"])
    full = _image(charts.choropleth_map(b, values, title="覆盖率", legend_title="覆盖率"))
    cmap = matplotlib.colormaps["Blues"]
    darkest = matplotlib.colors.to_hex(cmap(0.95))
    assert _has_color(full, darkest)
    assert _image(charts.choropleth_map(b, values.iloc[:3], title="覆盖率", legend_title="覆盖率")).shape[2] == 3


def test_site_map_draws_site_facilities_and_areas():
    config, inputs = data.songjiang()
    f = inputs.facilities
    site = f.geometry.iloc[3]
    xy = (site.x + 300, site.y + 200)
    styles = type_styles(config.facility_types)
    pixels = _image(charts.site_map(xy, boundaries=inputs.boundaries, facilities=f, styles=styles,
                                    service_area=f.buffer(1000).union_all(),
                                    site_area=shapely.Point(xy).buffer(1000), title="S1"))
    assert _has_color(pixels, SITE_COLOR)
    assert _has_color(pixels, "#d9d9d9")                                       # existing service area
    assert _has_color(pixels, styles["public_nursery_kindergarten"]["color"], tolerance=10)
    empty = _image(charts.site_map(xy, boundaries=inputs.boundaries, facilities=f.iloc[0:0], styles=styles))
    assert _has_color(empty, SITE_COLOR)


def test_dollar_signs_in_names_are_text_not_mathtext():
    """matplotlib reads "$...$" as mathtext (a malformed one stops the drawing): names from registers are text."""
    from svcov.outputs import charts

    png = charts.coverage_bars(["$\\frac{$街道", "$x^2$镇"], [0.5, 0.7], year=2023, title="$\\frac{$")
    assert png.startswith(b"\x89PNG")
