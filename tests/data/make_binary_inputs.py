"""Regenerate the binary test inputs (XLSX, Shapefile, GeoTIFF, GeoPackage) in tests/data/good and tests/data/broken.

Run from the project root: ``.venv/bin/python tests/data/make_binary_inputs.py``. The text inputs beside them are
written by hand. Coordinates are inside 松江区 unless the file is meant to fall outside it.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from svcov.data.coords import wgs84_to_gcj02

HERE = Path(__file__).parent
GOOD, BROKEN = HERE / "good", HERE / "broken"

# WGS-84 points inside Songjiang (岳阳街道, 方松街道, 九亭镇)
POINTS_WGS84 = [(121.2270, 31.0050), (121.2150, 31.0330), (121.3200, 31.1300)]


def register_xlsx() -> None:
    lon, lat = wgs84_to_gcj02(*np.array(POINTS_WGS84).T)
    frame = pd.DataFrame({"机构编号": ["A1", "A2", "A3"],
                          "机构名称": ["岳阳普惠托育点", "方松公办托幼园", "九亭育儿指导站"],
                          "机构类型": ["普惠性托育点", "公办托幼一体园", "家庭科学育儿指导站"],
                          "经度（高德）": lon.round(7), "纬度（高德）": lat.round(7),
                          "托位数": [40, 25, None], "开办年份": ["2022年", 2019, "2021-09"],
                          "是否开设托班": ["是", "有", None], "地址": ["荣乐中路", "谷阳北路", "九亭大街"]})
    frame.to_excel(GOOD / "register_gcj02.xlsx", index=False, sheet_name="托育机构")


def broken_xlsx() -> None:
    frame = pd.DataFrame({"编号": ["B1", "B2", "B3", "B4"],
                          "名称": ["甲", "乙", "丙", "丁"],
                          "类型": ["普惠性托育点", "早教中心", "普惠性托育点", "普惠性托育点"],
                          "经度": [121.227, 121.23, 31.005, 121.22],
                          "纬度": [31.005, 31.01, 121.227, 31.02],
                          "托位数": [40, -5, 30, "很多"]})
    frame.to_excel(BROKEN / "register_many_problems.xlsx", index=False)


def shapefile_without_prj() -> None:
    frame = gpd.GeoDataFrame({"id": ["S1"], "name": ["无投影的点"], "type": ["普惠性托育点"]},
                             geometry=gpd.points_from_xy([121.227], [31.005]), crs="EPSG:4326")
    frame.to_file(BROKEN / "no_prj.shp")
    (BROKEN / "no_prj.prj").unlink()
    (BROKEN / "no_prj.cpg").unlink(missing_ok=True)


def rasters() -> None:
    # 4 × 3 cells of 250 m in UTM 51N around 岳阳街道 (x ≈ 332,000, y ≈ 3,431,000)
    values = np.array([[10, 20, 0, 5], [0, 30, 40, 0], [5, 5, 5, 5]], dtype="float32")
    profile = dict(driver="GTiff", height=3, width=4, count=1, dtype="float32", crs="EPSG:32651", nodata=-9999,
                   transform=from_origin(331000, 3432000, 250, 250))
    with rasterio.open(GOOD / "population_0_3_utm.tif", "w", **profile) as dst:
        dst.write(values, 1)
    beijing = dict(profile, crs="EPSG:4326", transform=from_origin(116.3, 39.95, 0.01, 0.01))
    with rasterio.open(BROKEN / "population_beijing.tif", "w", **beijing) as dst:
        dst.write(values, 1)
    negative = values.copy()
    negative[1, 1] = -3
    with rasterio.open(BROKEN / "population_negative.tif", "w", **profile) as dst:
        dst.write(negative, 1)


def vector_grid() -> None:
    cells = [box(331000 + i * 250, 3431250, 331250 + i * 250, 3431500) for i in range(4)]
    frame = gpd.GeoDataFrame({"常住人口": [400, 800, 0, 1200], "0-3岁人口": [12, 25, 0, 40]}, geometry=cells,
                             crs="EPSG:32651")
    frame.to_file(GOOD / "population_grid.gpkg", layer="grid", driver="GPKG")


if __name__ == "__main__":
    register_xlsx()
    broken_xlsx()
    shapefile_without_prj()
    rasters()
    vector_grid()
    print("written:", sorted(p.name for p in GOOD.iterdir()), sorted(p.name for p in BROKEN.iterdir()))
