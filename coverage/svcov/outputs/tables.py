"""Tables for Excel users: CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it correctly) and XLSX with
Chinese headers, plus GeoPackage layers for QGIS/ArcGIS. Renders the frames it is handed; computes nothing.

In the tables shares stay numbers (0-1) shown with a percent format, headcounts are whole numbers, minutes have
one decimal (:func:`column_kinds`, :func:`_apply_number_formats`); columns with no value at all are left out and
named in the 「说明」 sheet. GeoPackage layers are written in ``outputs.crs`` (default WGS-84) with the Chinese
headers as field aliases (GeoPackage schema extension, shown by QGIS and GDAL) (:func:`write_layers`).
Text from registers is written as text, never as a formula (OWASP "CSV injection"): XLSX cells holding text are
string cells even when the text starts with ``=``; in CSV a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading apostrophe, so Excel/WPS shows it instead of evaluating it. Numbers stay numbers.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..errors import OutputError
from ..files import atomic_path

__all__ = ["COLUMN_LABELS_ZH", "label_columns", "config_labels", "write_table", "write_layers", "column_kinds",
           "NUMBER_FORMATS", "layer_aliases", "csv_safe_text", "csv_text_safe", "xlsx_text_safe", "text_cells_as_text",
           "FORMULA_START"]

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
    "opened_year": "开办年份",
    "closed_year": "关闭年份",
    "address": "地址",
    "outside_district_m": "在本区外的距离(米)",
    "source_label": "数据来源",
    "source_file": "来源文件",
    "source_row": "来源行号",
    "complete_register": "来源为完整名册",
    "lon_wgs84": "经度(WGS-84)",
    "lat_wgs84": "纬度(WGS-84)",
    "cell_id": "网格编号",
    "is_estimate": "是否估算",
    "cell_size_m": "网格边长(米)",
    "n_facilities": "设施总数",
}


def config_labels(attributes: Sequence = (), groups: Sequence = ()) -> dict[str, str]:
    """Chinese headers of the columns a configuration adds: each declared facility attribute (its ``label_zh``, e.g.
    「床位数」) and each population group (its ``name_zh``, e.g. 「60岁及以上老人」)."""
    out = {a.key: a.label_zh for a in attributes}
    out.update({g.key: g.name_zh.replace(" ", "") for g in groups})
    return out
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
                  ("count", re.compile(r"^pop(_|$)(?!.*(_per_|density))")),
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
            csv_text_safe(table).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
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

    buffer = io.BytesIO()  # the workbook is built in memory: a full disk fails in one plain write, not inside zipfile
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        xlsx_text_safe(table).to_excel(writer, sheet_name=sheet_name, index=False)
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
                note_sheet.cell(row=r, column=1, value=_xlsx_text(line)).alignment = Alignment(wrap_text=True)
        for each in writer.book.worksheets:
            text_cells_as_text(each)
    path.write_bytes(buffer.getvalue())


#: First characters that make a spreadsheet read a cell as a formula (OWASP: = + - @, tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: Characters an XLSX (XML) cell cannot hold: C0 controls other than tab, new line and carriage return.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_safe_text(value: object) -> object:
    """A CSV cell that Excel/WPS shows as written: text starting with a formula character gets a leading ``'``
    (a plain number written as text, e.g. ``-20``, is left alone: it is not a formula). Other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _map_text(table: pd.DataFrame, func) -> pd.DataFrame:
    """``table`` with ``func`` applied to its headers and to every cell of its object (text) columns."""
    columns = [pd.Series([func(v) for v in col], index=table.index, dtype=object)
               if col.dtype == object or isinstance(col.dtype, pd.StringDtype) else col for _, col in table.items()]
    out = pd.concat(columns, axis=1) if columns else table.copy()
    out.columns = [func(c) for c in table.columns]
    return out


def csv_text_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell and header passed through :func:`csv_safe_text`."""
    return _map_text(table, csv_safe_text)


def _xlsx_text(value: object) -> object:
    return _XML_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def xlsx_text_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with characters an XLSX cell cannot hold replaced by U+FFFD (in text cells and headers)."""
    return _map_text(table, _xlsx_text)


def text_cells_as_text(sheet) -> None:
    """Make every cell of an openpyxl ``sheet`` that holds text a string cell: openpyxl stores text starting with
    ``=`` as a formula, which Excel would evaluate (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"


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
        try:
            for name, frame in layers.items():
                if frame is None or len(frame) == 0:
                    continue
                out = frame.to_crs(target_crs) if target_crs is not None else frame
                out = gpd.GeoDataFrame(_gpkg_safe(out), geometry=out.geometry.name, crs=out.crs)
                out.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
                written.append((name, [c for c in out.columns if c != out.geometry.name]))
            _write_aliases(tmp, written, {**COLUMN_LABELS_ZH, **(labels or {})})
        except (RuntimeError, sqlite3.Error) as exc:  # GDAL "Failed to commit transaction", sqlite "disk is full"
            raise _gpkg_error(path, tmp, exc) from exc
    log.info("wrote %s (%d layers)", path, sum(1 for f in layers.values() if f is not None and len(f)))
    return path


def _gpkg_error(path: Path, tmp: Path, exc: Exception) -> OutputError:
    """A GeoPackage GDAL could not write: remove its temporary side files and say why (a full disk, most often)."""
    for suffix in ("-journal", "-wal", "-shm"):
        tmp.with_name(tmp.name + suffix).unlink(missing_ok=True)
    try:
        free_mb = shutil.disk_usage(path.parent).free / 1e6
    except OSError:
        free_mb = float("inf")
    if free_mb < 100:
        return OutputError(f"无法写入 {path}: 磁盘空间不足 (只剩 {free_mb:.1f} MB); 请清理磁盘或换一个输出文件夹 "
                           f"(cannot write {path}: the disk is full ({free_mb:.1f} MB free); free some space or choose "
                           f"another folder)")
    return OutputError(f"无法写入 GeoPackage {path} ({exc}); 请检查磁盘和文件夹权限 (cannot write the GeoPackage: {exc})")
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
