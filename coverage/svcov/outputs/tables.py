"""Tables for Excel users: CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it correctly) and XLSX with
Chinese headers, plus GeoPackage layers for QGIS/ArcGIS. Renders the frames it is handed; computes nothing.

In the tables shares stay numbers (0-1) shown with a percent format, headcounts are whole numbers, minutes have
one decimal (:func:`column_kinds`, :func:`_apply_number_formats`); columns with no value at all are left out and
named in the 「说明」 sheet. GeoPackage layers are written in ``outputs.crs`` (default WGS-84) with the Chinese
headers as field aliases (GeoPackage schema extension, shown by QGIS and GDAL) (:func:`write_layers`).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..files import atomic_path

__all__ = ["COLUMN_LABELS_ZH", "label_columns", "write_table", "write_layers", "column_kinds", "NUMBER_FORMATS",
           "layer_aliases"]

log = logging.getLogger(__name__)

#: Chinese headers of the columns that tables share; modules add their own through ``labels=``.
COLUMN_LABELS_ZH: dict[str, str] = {
    "jiezhen_code": "街镇代码",
    "jiezhen_name": "街镇",
    "name": "名称",
    "area_km2": "面积(平方公里)",
    "facility_id": "编号",
    "type": "类型代码",
    "type_name_zh": "类型",
    "type_source": "类型来源",
    "type_is_estimate": "类型为估算",
    "capacity_places": "托位数",
    "opened_year": "开办年份",
    "closed_year": "关闭年份",
    "has_nursery_class": "开设托班",
    "is_demonstration": "示范性机构",
    "address": "地址",
    "source_label": "数据来源",
    "source_file": "来源文件",
    "source_row": "来源行号",
    "complete_register": "来源为完整名册",
    "lon_wgs84": "经度(WGS-84)",
    "lat_wgs84": "纬度(WGS-84)",
    "cell_id": "网格编号",
    "pop_0_3": "0-3岁人口",
    "pop_total": "常住人口",
    "is_estimate": "是否估算",
    "cell_size_m": "网格边长(米)",
    "n_facilities": "设施总数",
}


def _header(column: object, merged: Mapping[str, str]) -> object:
    if column in merged:
        return merged[column]
    if isinstance(column, (int, np.integer, str)) and re.fullmatch(r"(19|20|21)\d\d", str(column)):
        return f"{int(column)}年"                  # year columns of the pivot tables
    return column


def label_columns(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rename columns to Chinese headers (``labels`` first, then :data:`COLUMN_LABELS_ZH`; a year column becomes
    「2023年」); others unchanged."""
    merged = {**COLUMN_LABELS_ZH, **(labels or {})}
    return frame.rename(columns={c: _header(c, merged) for c in frame.columns})


#: How a kind of column is shown in Excel.
NUMBER_FORMATS = {"share": "0.0%", "count": "#,##0", "minutes": "0.0", "ratio": "0.00"}
#: Column kinds by contract name: shares 0-1, headcounts, minutes, other ratios (docs/DEVELOPING.md).
_KIND_PATTERNS = (("share", re.compile(r"(^|_)share(_|$)")),
                  ("count", re.compile(r"^pop_(?!.*(_per_|density))")),
                  ("minutes", re.compile(r"_min$")),
                  ("ratio", re.compile(r"(_per_|_km2$|_m$)")))


def column_kinds(frame: pd.DataFrame, *, shares: Sequence[str] = (), counts: Sequence[str] = ()) -> dict[str, str]:
    """The number kind of each numeric column (``share``, ``count``, ``minutes``, ``ratio``): by contract name,
    or as the caller declares (``shares``, ``counts``: e.g. configured population groups). Integer columns such
    as ``threshold_min`` or ``year`` keep their own format."""
    kinds = {}
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            continue
        if column in shares:
            kinds[column] = "share"
        elif column in counts:
            kinds[column] = "count"
        elif isinstance(column, str):
            kind = next((k for k, pattern in _KIND_PATTERNS if pattern.search(column)), None)
            integral = pd.api.types.is_integer_dtype(frame[column])
            if kind and not (integral and kind in ("minutes", "ratio")):
                kinds[column] = kind
    return kinds


#: Decimals kept of each kind (headcounts: whole numbers; a share to 0.01 percentage point).
DIGITS = {"count": 0, "share": 4, "minutes": 2, "ratio": 4}


def _numbers_for_people(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Headcounts rounded to whole numbers, shares to four decimals, minutes to two; a minute or ratio column
    of whole numbers only (e.g. a threshold) becomes an integer column without a format (``kinds`` loses it)."""
    out = frame.copy()
    for column, kind in list(kinds.items()):
        values = pd.to_numeric(out[column], errors="coerce").astype(float)
        whole = bool(values.dropna().pipe(lambda v: len(v) and (v == v.round()).all()))
        if kind == "count" or (kind in ("minutes", "ratio") and whole):
            out[column] = pd.array(np.round(values.to_numpy()), dtype="Float64").astype("Int64")
            if kind != "count":
                del kinds[column]
        else:
            out[column] = values.round(DIGITS[kind])
    return out


def _drop_empty(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The frame without columns that hold no value at all, and their names."""
    empty = [c for c in frame.columns if frame[c].isna().all()
             or (not pd.api.types.is_numeric_dtype(frame[c])
                 and frame[c].map(lambda v: v is None or v is pd.NA or str(v).strip() == "").all())]
    return (frame.drop(columns=empty), [str(c) for c in empty]) if len(frame) else (frame, [])


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.BooleanDtype) or out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"}).astype(object)
        elif isinstance(out[column].dtype, (pd.StringDtype, pd.Int64Dtype)) or out[column].dtype == object:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def write_table(frame: pd.DataFrame, stem: str | Path, *, labels: Mapping[str, str] | None = None,
                sheet_name: str = "表", notes: Sequence[str] = (), formats: Sequence[str] = ("csv", "xlsx"),
                float_digits: int | None = None, shares: Sequence[str] = (), counts: Sequence[str] = (),
                keep_empty: bool = False) -> list[Path]:
    """Write ``frame`` as ``stem.csv`` and/or ``stem.xlsx`` with Chinese headers.

    Parameters
    ----------
    frame
        The table (geometry columns are dropped).
    stem
        Output path without suffix.
    labels
        Extra column → Chinese header mappings.
    sheet_name
        Name of the XLSX sheet (≤ 31 characters).
    notes
        Lines written to a second sheet 「说明」 (sources, estimates, caveats).
    float_digits
        Round other floats to this many digits (``None`` keeps them).
    shares, counts
        Columns to show as percentages (values 0-1) or whole headcounts besides those the contract names give
        away (:func:`column_kinds`).
    keep_empty
        Keep columns with no value at all (otherwise they are left out and named in the notes).

    Returns
    -------
    list of Path
        Files written.
    """
    stem = Path(stem)
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns if c == "geometry"], errors="ignore"))
    kinds = column_kinds(table, shares=shares, counts=counts)
    if float_digits is not None:
        table = table.round({c: float_digits for c in table.columns if c not in kinds})
    table = _numbers_for_people(table, kinds)
    dropped: list[str] = []
    if not keep_empty:
        table, dropped = _drop_empty(table)
    merged = {**COLUMN_LABELS_ZH, **(labels or {})}
    shown_kinds = {_header(c, merged): k for c, k in kinds.items() if c in table.columns}
    if dropped:
        notes = [*notes, "以下各列在本表中全部为空 (输入数据没有这些信息), 未列出: "
                 + "、".join(str(_header(c, merged)) for c in dropped) + "。"]
    table = _excel_safe(label_columns(table, labels))
    written = []
    if "csv" in formats:
        target = stem.with_suffix(".csv")
        with atomic_path(target) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        written.append(target)
    if "xlsx" in formats:
        target = stem.with_suffix(".xlsx")
        with atomic_path(target) as tmp:
            _write_xlsx(table, tmp, sheet_name[:31], notes, shown_kinds)
        written.append(target)
    log.info("wrote %s (%d rows)", ", ".join(p.name for p in written), len(table))
    return written


def _write_xlsx(table: pd.DataFrame, path: Path, sheet_name: str, notes: Sequence[str],
                kinds: Mapping[object, str] | None = None) -> None:
    from openpyxl.styles import Alignment, Font

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet_name, index=False)
        sheet = writer.sheets[sheet_name]
        _apply_number_formats(sheet, table, kinds or {})
        sheet.freeze_panes = "B2" if len(table.columns) > 1 else "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for i, column in enumerate(table.columns, start=1):
            values = [str(column)] + [str(v) for v in table[column].head(200)]
            width = max(_display_width(v) for v in values)
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(max(width + 2, 8), 60)
        if notes:
            note_sheet = writer.book.create_sheet("说明")
            note_sheet.column_dimensions["A"].width = 120
            for r, line in enumerate(notes, start=1):
                note_sheet.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=True)


def _apply_number_formats(sheet, table: pd.DataFrame, kinds: Mapping[object, str]) -> None:
    """Excel number formats of the share, headcount, minute and ratio columns (:data:`NUMBER_FORMATS`)."""
    for i, column in enumerate(table.columns, start=1):
        kind = kinds.get(column)
        if kind is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table) + 1, min_col=i, max_col=i):
            if isinstance(cell.value, (int, float)):
                cell.number_format = NUMBER_FORMATS[kind]


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_layers(path: str | Path, layers: Mapping[str, gpd.GeoDataFrame], *, to_wgs84: bool = False,
                 crs: object | None = None, labels: Mapping[str, str] | None = None) -> Path:
    """Write several layers into one GeoPackage, atomically (all layers or none).

    Parameters
    ----------
    path
        The ``.gpkg`` file.
    layers
        Layer name → GeoDataFrame (empty frames are skipped).
    crs
        Coordinate system of every layer (``outputs.crs``, e.g. ``EPSG:4326`` or ``EPSG:4490``); ``None`` keeps
        each layer's own (metric) CRS.
    to_wgs84
        The same as ``crs="EPSG:4326"`` (kept for callers of earlier versions).
    labels
        Extra column → Chinese header mappings; with :data:`COLUMN_LABELS_ZH` they become the fields' aliases.
    """
    path = Path(path)
    target_crs = settings.wgs84 if to_wgs84 and crs is None else crs
    with atomic_path(path) as tmp:
        tmp.unlink()
        written = []
        for name, frame in layers.items():
            if frame is None or len(frame) == 0:
                continue
            out = frame.to_crs(target_crs) if target_crs is not None else frame
            out = gpd.GeoDataFrame(_gpkg_safe(out), geometry=out.geometry.name, crs=out.crs)
            out.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            written.append((name, [c for c in out.columns if c != out.geometry.name]))
        _write_aliases(tmp, written, {**COLUMN_LABELS_ZH, **(labels or {})})
    log.info("wrote %s (%d layers)", path, sum(1 for f in layers.values() if f is not None and len(f)))
    return path


def _write_aliases(path: Path, layers: Sequence[tuple[str, Sequence[str]]], labels: Mapping[str, str]) -> None:
    """Chinese aliases of the fields (``gpkg_data_columns.name``, the GeoPackage schema extension)."""
    rows = []
    for layer, columns in layers:
        used: set[str] = set()
        for column in columns:
            alias = labels.get(column)
            if not alias:
                continue
            while alias in used:            # the extension wants aliases unique within a layer
                alias += "*"
            used.add(alias)
            rows.append((layer, column, alias, alias))
    if not rows:
        return
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT "
                   "NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, CONSTRAINT "
                   "pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))")
        db.execute("INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)"
                   " VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
                   "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')")
        db.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) "
                       "VALUES (?, ?, ?, ?)", rows)
    db.close()


def layer_aliases(path: str | Path, layer: str) -> dict[str, str]:
    """The Chinese aliases of a GeoPackage layer's fields (column → alias), as :func:`write_layers` wrote them."""
    with sqlite3.connect(Path(path)) as db:
        try:
            rows = db.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name = ?", (layer,))
            out = dict(rows.fetchall())
        except sqlite3.OperationalError:
            out = {}
    db.close()
    return out


def _gpkg_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[column] = out[column].astype("Int8")
        elif isinstance(dtype, pd.StringDtype):
            out[column] = out[column].astype(object)
    return out
