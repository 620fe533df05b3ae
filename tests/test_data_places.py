"""Named places for the map (svcov.data.places): the bundled OSM compounds and POIs, and broken layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from svcov.config.outputs import ContextLayerConfig
from svcov.data.places import load_places
from svcov.errors import InputError

POIS = Path(__file__).resolve().parents[1] / "data" / "pois" / "songjiang_pois_osm.geojson"


def test_bundled_places(songjiang_boundaries):
    places = load_places(ContextLayerConfig(path=POIS), songjiang_boundaries)
    assert list(places.columns) == ["name", "kind", "kind_zh", "geometry"]
    assert places.crs == songjiang_boundaries.crs
    counts = places["kind_zh"].value_counts()
    assert 450 <= counts["住宅小区"] <= 498 and "学校" in counts and "公园" in counts
    assert "幼儿园" not in counts                       # left to the facility layers by default
    assert (places["name"].str.strip() != "").all()
    near = songjiang_boundaries.geometry.union_all().buffer(500)
    assert places.within(near).all()
    only = load_places(ContextLayerConfig(path=POIS, kinds=("residential",)), songjiang_boundaries)
    assert set(only["kind_zh"]) == {"住宅小区"} and len(only) == counts["住宅小区"]


def test_places_without_a_kind_column_and_far_places(tmp_path, songjiang_boundaries):
    inside = songjiang_boundaries.geometry.iloc[0].representative_point()
    frame = gpd.GeoDataFrame({"名称": ["阳光小区", "", "远处"]},
                             geometry=[inside, inside, shapely.Point(inside.x + 80000, inside.y)],
                             crs=songjiang_boundaries.crs).to_crs(4326)
    path = tmp_path / "places.geojson"
    frame.to_file(path)
    places = load_places(ContextLayerConfig(path=path, name_column="名称", kind_column=None), songjiang_boundaries)
    assert list(places["name"]) == ["阳光小区"] and list(places["kind_zh"]) == ["地名"]


def test_a_missing_column_is_named(tmp_path, songjiang_boundaries):
    with pytest.raises(InputError, match="地名图层中没有列「名字」"):
        load_places(ContextLayerConfig(path=POIS, name_column="名字"), songjiang_boundaries)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="无法读取"):
        load_places(ContextLayerConfig(path=broken), songjiang_boundaries)
