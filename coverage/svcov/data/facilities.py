"""Facility registers and points: read, validate, convert coordinates, type, and place in their 街镇.

Accepts GIS layers (GeoJSON, GeoPackage, Shapefile) and tables (CSV/XLSX) with longitude/latitude columns,
headers in Chinese or English. Coordinates declared GCJ-02 (Amap/Tencent) or BD-09 (Baidu) are converted to
WGS-84. Types come from the file's type column (Chinese name or English key of a configured type), else from
name rules or a default declared in the configuration; inferred types are flagged ``type_is_estimate``.

The attributes a facility carries besides id, name, type, coordinates and opening/closing years (capacity with its
unit word, yes/no flags, other numbers) are the ones the service's type file declares
(:class:`~svcov.config.FacilityAttribute`): their headers, aliases and checks come from there, and the frame has one
column per declared attribute and no other.

Facilities outside every 街镇 but within the source's ``outside_margin_m`` (default 2 km) of the district are kept
with a warning: walking does not stop at a district border. They have no ``jiezhen_code`` (NA) and
``outside_district_m`` > 0; coverage counts them, layout rules (which count the district's own facilities) do not.

The frame handed on (metric CRS, Point geometry) has the columns :func:`facility_columns` gives.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..config import FacilityAttribute, FacilitySource, FacilityType
from ..errors import ArgumentError, ProblemList
from ..vocabulary import YEAR_LABELS_ZH
from .boundaries import assign_jiezhen
from .coords import to_wgs84
from .readers import is_table, read_table, read_vector
from .validation import (
    check_unique,
    excel_row,
    normalise_header,
    parse_bools,
    parse_numbers,
    parse_years,
    resolve_columns,
)

__all__ = ["load_facilities", "read_facility_records", "combine_facilities", "open_in_year", "in_district",
           "FACILITY_ALIASES", "facility_columns", "attribute_aliases"]

log = logging.getLogger(__name__)

FACILITY_ALIASES: dict[str, tuple[str, ...]] = {
    "facility_id": ("id", "编号", "机构编号", "设施编号", "序号", "osm", "osm_id", "uid", "fid"),
    "name": ("名称", "机构名称", "单位名称", "设施名称", "站点名称"),
    "type": ("类型", "机构类型", "设施类型", "类别", "category"),
    "longitude": ("lon", "lng", "long", "x", "经度", "东经"),
    "latitude": ("lat", "y", "纬度", "北纬"),
    "opened_year": ("opened", "开办年份", "开设年份", "开园年份", "建成年份", "启用年份", "设立年份"),
    "closed_year": ("closed", "关闭年份", "停办年份", "撤销年份"),
    "address": ("addr", "地址", "详细地址"),
    "jiezhen_given": ("jiezhen", "街镇", "所属街镇", "街道", "街镇名称"),
}


def _aliases(column_aliases: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """:data:`FACILITY_ALIASES` with the headers the service's type file adds (``column_aliases``, e.g. 园所名称)."""
    return {k: (*v, *column_aliases.get(k, ())) for k, v in FACILITY_ALIASES.items()}


def attribute_aliases(attributes: Sequence[FacilityAttribute]) -> dict[str, tuple[str, ...]]:
    """Accepted headers of each declared attribute: its key, Chinese and English labels, and its aliases."""
    return {a.key: (a.label_zh, a.label_en, *a.aliases) for a in attributes}


def facility_columns(attributes: Sequence[FacilityAttribute] = ()) -> list[str]:
    """Columns of the facility frame: the built-in ones with the declared attributes after ``type_is_estimate``."""
    return ["facility_id", "name", "type", "type_name_zh", "type_source", "type_is_estimate",
            *[a.key for a in attributes], "opened_year", "closed_year", "address", "jiezhen_code", "jiezhen_name",
            "outside_district_m", "source_label", "source_file", "source_row", "complete_register", "lon_wgs84",
            "lat_wgs84", "geometry"]

_CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)  # lon_min, lat_min, lon_max, lat_max


def load_facilities(source: FacilitySource | str | Path, types: Sequence[FacilityType],
                    boundaries: gpd.GeoDataFrame, *, attributes: Sequence[FacilityAttribute] = (),
                    column_aliases: Mapping[str, Sequence[str]] | None = None,
                    tolerance_m: float = settings.boundary_tolerance_m,
                    coord_system: str | None = None) -> gpd.GeoDataFrame:
    """Load one facility file, validate it, and assign each facility its 街镇.

    Parameters
    ----------
    source
        A :class:`~svcov.config.FacilitySource` or a path.
    types
        The configured facility types.
    boundaries
        Output of :func:`~svcov.data.boundaries.load_boundaries` (its CRS is used).
    attributes
        The attributes the service's type file declares (``RunConfig.attributes``); without them only the
        built-in columns are read.
    column_aliases
        More headers for the built-in columns, from the type file (``RunConfig.column_aliases``, e.g. ``name``:
        园所名称).
    tolerance_m
        Facilities this close outside the boundary go to the nearest 街镇 (with a warning); farther ones within the
        source's ``outside_margin_m`` are kept without a 街镇 (with a warning); beyond it they are errors.
    coord_system
        Overrides the source's coordinate system (``wgs84``, ``gcj02``, ``bd09``).

    Returns
    -------
    GeoDataFrame
        Columns :func:`facility_columns`, Point geometry in the boundaries' CRS.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    source = with_jiezhen_names(_as_source(source, coord_system), boundaries)
    records, p = read_facility_records(source, types, attributes, column_aliases)
    p.raise_if_errors()
    points = gpd.GeoSeries(gpd.points_from_xy(records["lon_wgs84"], records["lat_wgs84"]), index=records.index,
                           crs=settings.wgs84).to_crs(boundaries.crs)
    where = assign_jiezhen(points, boundaries, tolerance_m=tolerance_m)
    _report_placement(records, where, p, source.outside_margin_m)
    p.raise_if_errors()
    placed = where[["jiezhen_code", "jiezhen_name"]].assign(outside_district_m=np.where(
        where["how"] == "outside", where["distance_m"], 0.0))
    out = gpd.GeoDataFrame(records.join(placed), geometry=points, crs=boundaries.crs)
    out = out[facility_columns(attributes)]
    out.attrs["problems"] = p.problems
    log.info("loaded %d facilities from %s (%d warnings)", len(out), source.path, len(p.warnings))
    return out


#: In a ``type_from_name`` pattern this stands for the name of any 街镇 of the district, with or without its
#: 镇/街道/乡 suffix, so that a rule can say "named after its town" (「石湖荡幼儿园」, 「小昆山幼儿园」).
JIEZHEN_PLACEHOLDER = "{jiezhen}"
_SUFFIX = re.compile(r"(街道办事处|地区办事处|街道|镇|乡)$")


def jiezhen_name_variants(names) -> list[str]:
    """Each 街镇 name with and without its suffix (「石湖荡镇」, 「石湖荡」), longest first."""
    out = set()
    for name in (str(n).strip() for n in names):
        if name:
            out.add(name)
            short = _SUFFIX.sub("", name)
            if len(short) >= 2:
                out.add(short)
    return sorted(out, key=lambda n: (-len(n), n))


def with_jiezhen_names(source: FacilitySource, boundaries: gpd.GeoDataFrame) -> FacilitySource:
    """The source with :data:`JIEZHEN_PLACEHOLDER` in its name rules replaced by the district's 街镇 names."""
    if not any(JIEZHEN_PLACEHOLDER in r.pattern for r in source.type_from_name) or "name" not in boundaries:
        return source
    from dataclasses import replace

    names = "(?:" + "|".join(re.escape(n) for n in jiezhen_name_variants(boundaries["name"])) + ")"
    rules = tuple(replace(r, pattern=r.pattern.replace(JIEZHEN_PLACEHOLDER, names)) for r in source.type_from_name)
    return replace(source, type_from_name=rules)


def _as_source(source: FacilitySource | str | Path, coord_system: str | None) -> FacilitySource:
    if not isinstance(source, FacilitySource):
        source = FacilitySource(path=Path(source), label_zh=Path(source).name)
    if coord_system:
        from dataclasses import replace

        source = replace(source, coord_system=coord_system)
    return source


def read_facility_records(source: FacilitySource, types: Sequence[FacilityType],
                          attributes: Sequence[FacilityAttribute] = (),
                          column_aliases: Mapping[str, Sequence[str]] | None = None
                          ) -> tuple[pd.DataFrame, ProblemList]:
    """Parse a facility file into validated records (WGS-84 lon/lat, no 街镇 yet) and its problems.

    Never raises for bad values: every problem is in the returned list. Raises :class:`InputError` only if the
    file cannot be read at all or lacks required columns.
    """
    path = source.path
    table = is_table(path)
    if table:
        frame, _ = read_table(path, sheet=source.sheet)
    else:
        frame = read_vector(path)
    p = ProblemList(str(path), row_base=2 if table else 1)
    p.problems.extend(frame.attrs.get("problems", ()))  # how the file was read (merged cells, formulas, ...)
    required = ["name"] + (["longitude", "latitude"] if table else [])
    if source.default_type is None and not source.type_from_name:
        required.append("type")
    headers = [c for c in frame.columns if c != "geometry"]
    cols = resolve_columns(headers, {**_aliases(column_aliases or {}), **attribute_aliases(attributes)}, p,
                           required=required, explicit=dict(source.columns))
    p.raise_if_errors()
    if table:
        _warn_unused_columns(headers, cols, attributes, p)
    lon, lat = _coordinates(frame, cols, source, p) if table else _geometry_coordinates(frame, source, p)
    records = pd.DataFrame(index=frame.index)
    records["facility_id"] = _ids(frame, cols, path, p)
    records["name"] = _names(frame, cols, records["facility_id"], p)
    _types(records, frame, cols, source, types, p)
    _attributes(records, frame, cols, attributes, p)
    _years(records, frame, cols, p)
    records["address"] = frame[cols["address"]].astype("string") if "address" in cols else pd.NA
    records["jiezhen_given"] = frame[cols["jiezhen_given"]].astype("string") if "jiezhen_given" in cols else pd.NA
    records["source_label"] = source.label_zh
    records["source_file"] = path.name
    records["source_row"] = [excel_row(i, p) for i in frame.index]
    records["complete_register"] = source.complete_register
    records["lon_wgs84"], records["lat_wgs84"] = lon, lat
    _warn_near_duplicates(records, p)
    bad = records["lon_wgs84"].isna() | records["lat_wgs84"].isna()
    return records[~bad] if p.errors else records, p


def _ids(frame: pd.DataFrame, cols: dict, path: Path, p: ProblemList) -> pd.Series:
    if "facility_id" not in cols:
        return pd.Series([f"{path.stem}-{excel_row(i, p)}" for i in frame.index], index=frame.index, dtype="string")
    ids = frame[cols["facility_id"]].astype("string").str.strip()
    for idx in ids[ids.isna() | (ids == "")].index:
        p.add("编号为空。请为每条记录填写唯一编号。", "empty id; give every record a unique id", row=excel_row(idx, p),
              column=cols["facility_id"])
    ids = ids.str.replace(r"\.0$", "", regex=True)
    check_unique(ids, cols["facility_id"], p)
    return ids


def _names(frame: pd.DataFrame, cols: dict, ids: pd.Series, p: ProblemList) -> pd.Series:
    names = frame[cols["name"]].astype("string").str.strip()
    empty = names.isna() | (names == "")
    for idx in names[empty].index:
        p.warn(f"名称为空, 暂以「未命名 {ids[idx]}」代替。请补充名称。", f"empty name; shown as 'unnamed {ids[idx]}'",
               row=excel_row(idx, p), column=cols["name"])
    return names.where(~empty, "未命名 " + ids.astype(str))


def _coordinates(frame: pd.DataFrame, cols: dict, source: FacilitySource, p: ProblemList):
    lon_col, lat_col = cols["longitude"], cols["latitude"]
    fix_zh = "请填写十进制度数, 例如 经度 121.23、纬度 31.03。"
    lon = parse_numbers(frame[lon_col], lon_col, p, what_zh="经度", fix_zh=fix_zh, fix_en="use decimal degrees")
    lat = parse_numbers(frame[lat_col], lat_col, p, what_zh="纬度", fix_zh=fix_zh, fix_en="use decimal degrees")
    for idx in frame.index:
        row, x, y = excel_row(idx, p), lon[idx], lat[idx]
        raw_missing = frame[lon_col][idx] is None or frame[lat_col][idx] is None
        if raw_missing and (np.isnan(x) or np.isnan(y)):
            p.add("缺少经纬度。", "missing longitude/latitude", row=row, column=lon_col if np.isnan(x) else lat_col)
        if np.isnan(x) or np.isnan(y):
            lon[idx] = lat[idx] = np.nan
            continue
        problem = _coordinate_problem(x, y)
        if problem:
            p.add(problem[0], problem[1], row=row, column=lat_col if problem[2] == "lat" else lon_col,
                  value=frame[lat_col if problem[2] == "lat" else lon_col][idx])
            lon[idx] = lat[idx] = np.nan
    ok = lon.notna() & lat.notna()
    wlon, wlat = to_wgs84(lon[ok].to_numpy(), lat[ok].to_numpy(), source.coord_system)
    lon[ok], lat[ok] = wlon, wlat
    return lon, lat


def _coordinate_problem(x: float, y: float) -> tuple[str, str, str] | None:
    lo_x, lo_y, hi_x, hi_y = _CHINA_BBOX
    if abs(x) > 180 or abs(y) > 90:
        if lo_y <= x <= hi_y and lo_x <= y <= hi_x:
            return ("经度和纬度看起来填反了 (纬度不可能大于 90)。请交换这两列。",
                    "longitude and latitude look swapped (latitude cannot exceed 90); swap the two columns", "lat")
        return ("坐标超出经纬度范围; 看起来是投影坐标 (米)。请提供十进制经纬度, 或改用带坐标系的 GIS 文件。",
                "coordinates are out of degree range; they look like projected metres. Give decimal degrees, "
                "or use a GIS file with its CRS", "lon" if abs(x) > 180 else "lat")
    if lo_y <= x <= hi_y and lo_x <= y <= hi_x:
        return ("经度和纬度看起来填反了 (经度应在 73-136 之间, 纬度在 3-54 之间)。请交换这两列。",
                "longitude and latitude look swapped for a place in China; swap the two columns", "lat")
    if not (lo_x <= x <= hi_x and lo_y <= y <= hi_y):
        return ("坐标不在中国范围内。请检查经纬度。", "the point is outside China; check the coordinates", "lon")
    return None


def _geometry_coordinates(frame: gpd.GeoDataFrame, source: FacilitySource, p: ProblemList):
    geoms = frame.geometry
    points = []
    for idx, geom in geoms.items():
        if geom is None or geom.is_empty:
            p.add("几何为空 (没有坐标)。", "empty geometry (no coordinates)", row=excel_row(idx, p), column="geometry")
            points.append(None)
        elif geom.geom_type == "Point":
            points.append(geom)
        elif geom.geom_type in ("Polygon", "MultiPolygon", "MultiPoint"):
            points.append(geom.representative_point())
        else:
            p.add(f"几何类型为 {geom.geom_type}; 设施应为点 (或面, 取其内部点)。",
                  f"geometry is {geom.geom_type}; facilities must be points (or polygons)", row=excel_row(idx, p),
                  column="geometry")
            points.append(None)
    series = gpd.GeoSeries(points, index=frame.index, crs=frame.crs)
    if source.coord_system != "wgs84" and not (frame.crs and frame.crs.is_geographic):
        p.add(f"coord_system={source.coord_system} 只适用于经纬度图层, 但该图层的坐标系是 {frame.crs}。",
              f"coord_system={source.coord_system} needs a longitude/latitude layer, this one is {frame.crs}")
    series = series.to_crs(settings.wgs84)
    ok = series.notna() & ~series.is_empty
    lon = pd.Series(np.nan, index=frame.index)
    lat = pd.Series(np.nan, index=frame.index)
    lon[ok], lat[ok] = to_wgs84(series[ok].x.to_numpy(), series[ok].y.to_numpy(), source.coord_system)
    return lon, lat


def _type_lookup(types: Sequence[FacilityType]) -> dict[str, str]:
    lookup = {}
    for t in types:
        for name in (t.key, t.name_zh, t.name_en):
            lookup[normalise_header(name)] = t.key
    return lookup


def _types(records: pd.DataFrame, frame: pd.DataFrame, cols: dict, source: FacilitySource,
           types: Sequence[FacilityType], p: ProblemList) -> None:
    lookup = _type_lookup(types)
    names_zh = {t.key: t.name_zh for t in types}
    type_col = cols.get("type")
    keys, sources, estimated = [], [], []
    for idx in frame.index:
        raw = frame[type_col][idx] if type_col else None
        if raw is not None and not (isinstance(raw, float) and np.isnan(raw)) and str(raw).strip():
            key = lookup.get(normalise_header(raw))
            if key is None:
                _unknown_type(raw, idx, type_col, types, p)
            keys.append(key)
            sources.append("登记类型 (register)")
            estimated.append(False)
            continue
        key, note = _type_from_name(str(records.at[idx, "name"]), source)
        if key is None:
            p.add("类型为空, 且配置中没有默认类型或名称规则。请填写类型。", "empty type and no default or name rule in the config",
                  row=excel_row(idx, p), column=type_col or "type")
        keys.append(key)
        sources.append(note)
        estimated.append(True)
    records["type"] = pd.Series(keys, index=frame.index, dtype="string")
    records["type_name_zh"] = records["type"].map(names_zh).astype("string")
    records["type_source"] = pd.Series(sources, index=frame.index, dtype="string")
    records["type_is_estimate"] = pd.Series(estimated, index=frame.index, dtype="boolean")


def _unknown_type(raw: object, idx, column: str, types: Sequence[FacilityType], p: ProblemList) -> None:
    accepted = [t.name_zh for t in types]
    close = difflib.get_close_matches(str(raw), accepted + [t.key for t in types], n=1, cutoff=0.4)
    hint_zh = f"是不是「{close[0]}」? " if close else ""
    p.add(f"未知的设施类型。{hint_zh}可用类型: {'、'.join(accepted)}。",
          f"unknown facility type. {'Did you mean ' + repr(close[0]) + '? ' if close else ''}"
          f"Accepted: {', '.join(t.key for t in types)} (or their Chinese names)",
          row=excel_row(idx, p), column=column, value=raw)


def _type_from_name(name: str, source: FacilitySource) -> tuple[str | None, str]:
    for rule in source.type_from_name:
        if re.search(rule.pattern, name):
            return rule.type, f"按名称推断 (估算): {rule.note_zh}" if rule.note_zh else "按名称推断 (估算)"
    if source.default_type:
        return source.default_type, f"默认类型 (估算): {source.label_zh} 未提供类型"
    return None, ""


def _attributes(records: pd.DataFrame, frame: pd.DataFrame, cols: dict, attributes: Sequence[FacilityAttribute],
                p: ProblemList) -> None:
    """One column per declared attribute: numbers checked against the declared range, flags read as 是/否."""
    for a in attributes:
        if a.key not in cols:
            empty = "Int64" if a.is_number and a.integer else "Float64" if a.is_number else "boolean"
            records[a.key] = pd.array([pd.NA] * len(frame), dtype=empty)
            continue
        c = cols[a.key]
        if a.is_flag:
            records[a.key] = parse_bools(frame[c], c, p)
            continue
        rng = f"{'' if a.min is None else f'不小于 {a.min:g}'}{'' if a.max is None else f'、不大于 {a.max:g}'}"
        fix_zh = f"{a.label_zh}应是{rng + '的' if rng else ''}{'整数' if a.integer else '数'}。"
        values = parse_numbers(frame[c], c, p, lo=a.min, hi=a.max, what_zh=a.label_zh, integer=a.integer,
                               fix_zh=fix_zh, fix_en=f"{a.label_en or a.key} must be a {'whole ' if a.integer else ''}"
                               f"number{'' if a.min is None else f' ≥ {a.min:g}'}")
        records[a.key] = values.astype("Int64" if a.integer else "Float64")


def _years(records: pd.DataFrame, frame: pd.DataFrame, cols: dict, p: ProblemList) -> None:
    for key in YEAR_LABELS_ZH:
        records[key] = (parse_years(frame[cols[key]], cols[key], p, settings.min_year, settings.max_year)
                        if key in cols else pd.array([pd.NA] * len(frame), dtype="Int64"))
    bad = records["closed_year"].notna() & records["opened_year"].notna() & (
        records["closed_year"] < records["opened_year"])
    for idx in records.index[bad.fillna(False).to_numpy(dtype=bool)]:
        p.add("关闭年份早于开办年份。", "closed_year is before opened_year", row=excel_row(idx, p),
              column=cols["closed_year"], value=records.at[idx, "closed_year"])


#: Headers that are never reported as unused (coordinates of other systems, notes, running numbers...).
_QUIET_HEADERS = {"备注", "说明", "note", "notes", "remark", "remarks", "序号"}


def _warn_unused_columns(headers: Sequence[str], cols: dict, attributes: Sequence[FacilityAttribute],
                         p: ProblemList) -> None:
    """One warning naming the register's columns that svcov does not read (e.g. 床位数 when the type file does not
    declare it), so an attribute is never dropped without a word."""
    used = set(cols.values())
    unused = [str(h) for h in headers if h not in used and normalise_header(h) not in _QUIET_HEADERS
              and not str(h).startswith("Unnamed")]
    if not unused:
        return
    declared = "、".join(a.label_zh for a in attributes) or "无"
    p.warn(f"这些列没有读入: {'、'.join(unused)}。只有类型文件 attributes 中声明的属性会被读入 (已声明: {declared}); "
           f"如需要, 请在类型文件的 attributes 中声明 (见 data/README.md)。",
           f"columns not read: {', '.join(unused)}; only attributes declared in the type file's attributes are read",
           column=", ".join(unused))


def _warn_near_duplicates(records: pd.DataFrame, p: ProblemList) -> None:
    same = records.dropna(subset=["lon_wgs84", "lat_wgs84"]).groupby("name")
    for name, group in same:
        if len(group) < 2:
            continue
        xy = np.c_[group["lon_wgs84"] * 95_000, group["lat_wgs84"] * 111_000]  # metres, roughly, at 31°N
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        if (d[np.triu_indices(len(group), 1)] < 50).any():
            rows = ", ".join(str(excel_row(i, p)) for i in group.index)
            p.warn(f"同名记录相距不到 50 米 (第 {rows} 行), 可能重复。", f"records with the same name within 50 m "
                   f"(rows {rows}); possible duplicates", row=excel_row(group.index[0], p), column="name", value=name)


def _report_placement(records: pd.DataFrame, where: pd.DataFrame, p: ProblemList, margin_m: float) -> None:
    for idx in where.index[where["how"] == "outside"]:
        name, fid, km = records.at[idx, "name"], records.at[idx, "facility_id"], where.at[idx, "distance_m"] / 1000
        if where.at[idx, "distance_m"] <= margin_m:
            p.warn(f"设施「{name}」(编号 {fid}) 在本区边界外 {_distance_zh(km)} (不超过 {margin_m / 1000:g} km): 保留, 它也服务边界"
                   f"这一侧的居民; 计入可达性和覆盖率, 不计入街镇的布局规则。",
                   f"facility {fid} ({name}) is {km:.1f} km outside the district (within {margin_m / 1000:g} km): kept "
                   f"for access and coverage, not counted by the layout rules", row=records.at[idx, "source_row"],
                   column="geometry")
            continue
        p.add(f"设施「{name}」(编号 {fid}) 不在任何街镇内 (距本区 {km:.1f} km, 超过 {margin_m / 1000:g} km)。请检查坐标或坐标系 "
              f"(coord_system); 确实在区外较远的设施请从名册中去掉, 或调大 outside_margin_m。",
              f"facility {fid} ({name}) is outside every 街镇 ({km:.1f} km away, more than {margin_m / 1000:g} km); "
              f"check its coordinates or coord_system, or raise outside_margin_m", row=records.at[idx, "source_row"],
              column="geometry")
    for idx in where.index[where["how"] == "nearest"]:
        p.warn(f"设施「{records.at[idx, 'name']}」在边界外 {where.at[idx, 'distance_m']:.0f} 米, 归入最近的"
               f"{where.at[idx, 'jiezhen_name']}。", f"facility is {where.at[idx, 'distance_m']:.0f} m outside the "
               f"boundary; assigned to the nearest 街镇", row=records.at[idx, "source_row"], column="geometry")
    given = records["jiezhen_given"].dropna()
    for idx, value in given.items():
        actual = where.at[idx, "jiezhen_name"]
        if actual and str(value).strip() and str(value).strip() not in str(actual) and str(actual) not in str(value):
            p.warn(f"表中所填街镇「{value}」与坐标所在街镇「{actual}」不一致; 以坐标为准。",
                   f"given 街镇 {value!r} differs from the one the point falls in ({actual!r}); using the point",
                   row=records.at[idx, "source_row"], column="街镇", value=value)


def _distance_zh(km: float) -> str:
    return f"{km * 1000:.0f} 米" if km < 1 else f"{km:.1f} km"


def in_district(facilities: pd.DataFrame) -> pd.Series:
    """Which facilities lie in the district (have a 街镇); the others are kept across the border for access."""
    return facilities["jiezhen_code"].notna()


def combine_facilities(frames: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Concatenate facility frames from several files; ids repeated across files get the file name as prefix."""
    if not frames:
        raise ArgumentError("没有可合并的设施表 (no facility frames to combine)")
    out = pd.concat(frames, ignore_index=True)
    dup = out["facility_id"].duplicated(keep=False)
    out.loc[dup, "facility_id"] = out.loc[dup, "source_file"] + ":" + out.loc[dup, "facility_id"]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)


def open_in_year(facilities: pd.DataFrame, year: int) -> pd.Series:
    """Which facilities are open in ``year``: opened in or before it (or unknown) and not closed by then.

    A missing ``opened_year`` counts as "open throughout" (the facility existed before the data began); rules that
    need the opening year (e.g. "new in the year") report 数据不足 for such records instead.

    Returns
    -------
    Series of bool, same index as ``facilities``.
    """
    opened = facilities["opened_year"]
    closed = facilities["closed_year"]
    ok_open = opened.isna() | (opened <= year)
    ok_closed = closed.isna() | (closed > year)
    return (ok_open & ok_closed).fillna(False).astype(bool)
