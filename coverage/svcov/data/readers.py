"""Read the files bureaus actually have: Excel sheets, CSV in UTF-8 / UTF-8-BOM / GBK, and GIS vector files.

Tables are read with every cell as text, so validation can report the value exactly as the user typed it.
Row numbers reported elsewhere are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import settings
from ..errors import InputError, NoCrsError, Problem

__all__ = ["TABLE_SUFFIXES", "VECTOR_SUFFIXES", "read_table", "read_vector", "is_table", "FIRST_DATA_ROW"]

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml", ".gml")
#: Spreadsheet row number of the first record (row 1 is the header).
FIRST_DATA_ROW = 2


def is_table(path: str | Path) -> bool:
    """True if ``path`` is read as a table with coordinate columns (CSV/Excel), not a GIS layer."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def _fail(path: Path, zh: str, en: str, cls: type[InputError] = InputError) -> InputError:
    return cls(path, [Problem(str(path), zh, en)])


def _check_file(path: Path) -> None:
    if not path.exists():
        raise _fail(path, "找不到文件。请检查路径。", "file not found; check the path")
    if path.is_file() and path.stat().st_size == 0:
        raise _fail(path, "文件是空的 (0 字节)。", "the file is empty (0 bytes)")


def read_table(path: str | Path, *, sheet: str | int | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel table with all cells as text.

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv`` (UTF-8, UTF-8 with BOM, or GB18030/GBK) or ``.xlsx``/``.xlsm``.
    sheet
        Excel sheet name or 0-based index; default the first sheet.

    Returns
    -------
    (DataFrame, str)
        The records (index 0..n-1, spreadsheet row = index + 2) and the encoding or ``"xlsx"``.

    Raises
    ------
    InputError
        If the file is missing, empty, not decodable, an old ``.xls``, or has no records.
    """
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(path, "不支持旧版 .xls 文件。请在 Excel 中「另存为」.xlsx 或 CSV。",
                    "old .xls files are not supported; save as .xlsx or CSV in Excel")
    if suffix in (".xlsx", ".xlsm"):
        frame, encoding = _read_excel(path, sheet), "xlsx"
    else:
        frame, encoding = _read_csv(path, sep="\t" if suffix == ".tsv" else None)
    frame = frame.dropna(how="all")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise _fail(path, "文件中没有数据行 (只有表头或全是空行)。", "the file has no records (only a header or blank rows)")
    return frame, encoding


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object, engine="openpyxl")
    except ValueError as exc:
        raise _fail(path, f"读取 Excel 工作表失败: {exc}。请检查工作表名称。",
                    f"cannot read the Excel sheet: {exc}; check the sheet name") from None
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise _fail(path, f"无法打开 Excel 文件 ({type(exc).__name__})。文件可能已损坏或被加密。",
                    f"cannot open the Excel file ({type(exc).__name__}: {exc}); it may be corrupt or encrypted"
                    ) from None
    return frame.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()
                     if not isinstance(v, (int, float)) else v)


def _read_csv(path: Path, sep: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    for encoding in settings.csv_encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                                engine="python" if sep is None else "c", skipinitialspace=True)
        except pd.errors.ParserError as exc:
            raise _fail(path, f"CSV 格式错误: {exc}。请检查某行的列数是否与表头一致 (逗号是否多余)。",
                        f"malformed CSV: {exc}; check that every row has as many fields as the header") from None
        except pd.errors.EmptyDataError:
            raise _fail(path, "文件中没有表头和数据。", "the file has no header and no data") from None
        frame = frame.map(lambda v: v.strip() if isinstance(v, str) else v).replace({"": None})
        return frame, encoding
    raise _fail(path, "无法识别文件编码 (试过 UTF-8 和 GBK/GB18030)。请在 Excel 中另存为「CSV UTF-8」。",
                "cannot decode the file (tried UTF-8 and GBK/GB18030); save it as 'CSV UTF-8' from Excel")


def read_vector(path: str | Path, *, layer: str | None = None, require_crs: bool = True) -> gpd.GeoDataFrame:
    """Read a GIS vector layer (GeoJSON, GeoPackage, Shapefile, ...).

    Raises
    ------
    InputError
        If the file is missing, empty or unreadable.
    NoCrsError
        If ``require_crs`` and the layer has no CRS (e.g. a Shapefile without its ``.prj``).
    """
    path = Path(path)
    _check_file(path)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise DataSourceError, DataLayerError, ...
        raise _fail(path, f"无法读取 GIS 文件 ({type(exc).__name__}: {exc})。请确认格式 (GeoJSON/GeoPackage/Shapefile) 完整。",
                    f"cannot read the GIS file ({type(exc).__name__}: {exc})") from None
    if len(frame) == 0:
        raise _fail(path, "图层中没有要素。", "the layer has no features")
    if require_crs and frame.crs is None:
        raise _fail(path, "图层没有坐标参考系 (CRS)。Shapefile 请确认 .prj 文件在旁边, 或在 QGIS 中「指定投影」后另存。",
                    "the layer has no coordinate reference system; for a Shapefile keep its .prj beside it, "
                    "or assign the CRS in QGIS and save again", NoCrsError)
    return frame
