"""Write shanghai_16.yaml (the svcov batch file of Shanghai's 16 districts) from the bundled data:
the districts of boundaries/shanghai_jiezhen_217_osm.geojson and the 2020 census totals of
census/census2020_shanghai_districts.csv (residents; children 0-3 = age 0 + 3/4 × age 1-4, an estimate).

    python data/batch/make_shanghai_16.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
#: district name in the boundary file → (folder key, census name, English name)
DISTRICTS = {
    "黄浦": ("huangpu", "黄浦区", "Huangpu District"), "徐汇": ("xuhui", "徐汇区", "Xuhui District"),
    "长宁": ("changning", "长宁区", "Changning District"), "静安": ("jingan", "静安区", "Jing'an District"),
    "普陀": ("putuo", "普陀区", "Putuo District"), "虹口": ("hongkou", "虹口区", "Hongkou District"),
    "杨浦": ("yangpu", "杨浦区", "Yangpu District"), "闵行": ("minhang", "闵行区", "Minhang District"),
    "宝山": ("baoshan", "宝山区", "Baoshan District"), "嘉定": ("jiading", "嘉定区", "Jiading District"),
    "浦东": ("pudong", "浦东新区", "Pudong New Area"), "金山": ("jinshan", "金山区", "Jinshan District"),
    "松江": ("songjiang", "松江区", "Songjiang District"), "青浦": ("qingpu", "青浦区", "Qingpu District"),
    "奉贤": ("fengxian", "奉贤区", "Fengxian District"), "崇明": ("chongming", "崇明区", "Chongming District"),
}

HEADER = """# svcov batch: Shanghai's 16 districts (217 街镇) as one job — written by make_shanghai_16.py from the bundled
# 街镇 boundaries (OpenStreetMap, ODbL) and the 2020 census district totals. Run:
#   svcov batch data/batch/shanghai_16.yaml                 (Dask LocalCluster, one process per core)
#   svcov batch data/batch/shanghai_16.yaml --scheduler serial
#   svcov batch data/batch/shanghai_16.yaml --scheduler tcp://HOST:8786   (an institute's Dask cluster)
# Every district starts from the template run configuration; each entry sets its names, census code, which 街镇 of
# the boundary file are its own, and its census totals. Children 0-3 = age 0 + 3/4 × age 1-4 (an estimate), spread
# evenly over each district's land (松江: 70 % near the OSM residential compounds, as in the bundled Songjiang run):
# every output marks the population as 估算. Facilities: only the OSM kindergartens of 松江 are bundled; add each
# district's registers to the template's facilities (one city-wide list is fine: each facility counts for the
# district it lies in, and for its neighbours within walking reach of the border).
batch_name: shanghai_16
title_zh: 上海市            # the readable name in the city map's and report's titles (batch_name names the folder)
template: ../config/shanghai_district.yaml
halo_margin_m: 500          # halo = the largest threshold's walk (1,000 m at 4 km/h) + this margin
outputs:
  dir: ../../outputs
districts:
"""


def main() -> None:
    bounds = gpd.read_file(DATA / "boundaries" / "shanghai_jiezhen_217_osm.geojson")
    census = pd.read_csv(DATA / "census" / "census2020_shanghai_districts.csv").set_index("区县")
    lines = [HEADER.rstrip("\n")]
    order = sorted(bounds["district"].drop_duplicates(), key=lambda d: int(census.loc[DISTRICTS[d][1], "区划代码"]))
    for short in order:
        key, full, english = DISTRICTS[short]
        row = census.loc[full]
        code = f"{int(row['区划代码'])}"
        total = int(row["人口数_合计"])
        age0 = float(row["男_0岁"] + row["女_0岁"])
        age1_4 = float(row["男_1到4岁"] + row["女_1到4岁"])
        kids = round(age0 + 0.75 * age1_4)
        n = int((bounds["district"] == short).sum())
        source = (f"第七次全国人口普查 (2020) {full}常住人口 {total:,}; 0-3 岁 = 0 岁 {age0:,.0f} + 1-4 岁 "
                  f"{age1_4:,.0f} × 3/4 (估算)")
        extra = ""
        if key == "songjiang":
            extra = (", compounds: ../pois/songjiang_pois_osm.geojson, compounds_filter: {fclass: residential}, "
                     "compound_share: 0.7")
        lines.append(f"  - {{key: {key}, name_zh: {full}, name_en: {english}, code: \"{code}\", "
                     f"boundary_filter: {{district: {short}}},  # {n} 街镇")
        lines.append(f"     population: {{totals: {{residents: {total}, children_0_3: {kids}}}, "
                     f"source_zh: \"{source}\"{extra}}}}}")
    (HERE / "shanghai_16.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
