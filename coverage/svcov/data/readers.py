"""Read the files bureaus actually have: Excel sheets, CSV in UTF-8 / UTF-8-BOM / GBK, and GIS vector files.

Tables are read with every cell as text, so validation can report the value exactly as the user typed it.
Row numbers reported elsewhere are spreadsheet rows: the header is row 1, the first record row 2; a table's index
label is ``row - 2`` for every record, so blank lines (dropped) never shift the rows named in messages.

Nothing is lost without a word: a repeated header is an error (or, when both columns hold the same values, a
warning and the second is dropped); merged cells are filled down with a warning naming the range; a formula cell
without a saved result is read as empty with a warning naming the cell; a column with data but no header is named
and ignored; invisible control characters are removed with a warning. Those warnings travel in
``frame.attrs["problems"]`` (a list of :class:`~svcov.errors.Problem`) for the caller's problem list.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import settings
from ..errors import InputError, NoCrsError, Problem

log = logging.getLogger(__name__)

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
        ``.csv``/``.txt``/``.tsv`` (UTF-8, UTF-8 with BOM, GB18030/GBK, or UTF-16 with BOM as Excel saves
        "Unicode text"; comma, tab, semicolon or bar separated) or ``.xlsx``/``.xlsm``.
    sheet
        Excel sheet name or 0-based index; default the first sheet.

    Returns
    -------
    (DataFrame, str)
        The records (index label = spreadsheet row - 2; blank rows dropped) and the encoding or ``"xlsx"``.
        ``frame.attrs["problems"]`` holds warnings about how the file was read (see the module docstring);
        ``frame.attrs["sheet"]`` the sheet read.

    Raises
    ------
    InputError
        If the file is missing, empty, not decodable, an old ``.xls``, has a repeated header with different
        columns beneath, or has no records.
    """
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(path, "不支持旧版 .xls 文件。请在 Excel 中「另存为」.xlsx 或 CSV。",
                    "old .xls files are not supported; save as .xlsx or CSV in Excel")
    problems: list[Problem] = []
    note = ("", "")
    if suffix in (".xlsx", ".xlsm"):
        rows, note = _read_excel(path, sheet, problems)
        encoding = "xlsx"
    else:
        rows, encoding = _read_csv(path, sep="\t" if suffix == ".tsv" else None)
    frame = _frame(path, rows, problems, note)
    if note[1]:
        problems.append(Problem(str(path), _sheet_hint_zh(note), _sheet_hint_en(note).strip(), severity="info"))
    frame.attrs["problems"] = problems
    frame.attrs["sheet"] = note[0] or None
    return frame, encoding


#: Characters no XML document (DOCX, XLSX) can hold: C0 controls other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position: 0 → A, 27 → AB."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_text(value: object, row: int, position: int, path: Path, problems: list[Problem]) -> object:
    """A cell as read: text stripped (``""`` → ``None``), numbers kept, control characters removed with a word."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if _CONTROL.search(text):
        shown = " ".join(sorted({f"\\x{ord(c):02x}" for c in _CONTROL.findall(text)}))
        text = _CONTROL.sub("", text)
        problems.append(Problem(str(path), f"单元格 {_letter(position)}{row} 含有不可见的控制字符 ({shown}), 已删除。",
                                f"cell {_letter(position)}{row} held invisible control characters ({shown}); "
                                "they were removed", row=row, value=text, severity="warning"))
    return text or None


def _frame(path: Path, rows: list[tuple[int, list]], problems: list[Problem], note: tuple[str, str]) -> pd.DataFrame:
    """Records from ``(spreadsheet row, cells)`` pairs: the first non-blank row is the header."""
    rows = [(r, [_cell_text(v, r, i, path, problems) for i, v in enumerate(cells)]) for r, cells in rows]
    rows = [(r, cells) for r, cells in rows if any(v is not None for v in cells)]
    if not rows:
        raise _fail(path, f"文件中没有表头和数据 (全是空行)。{note[0] and _sheet_hint_zh(note)}",
                    f"the file has no header and no data (only blank rows).{note[0] and _sheet_hint_en(note)}")
    (header_row, header), records = rows[0], rows[1:]
    width = max(len(header), *(len(c) for _, c in records)) if records else len(header)
    header = header + [None] * (width - len(header))
    columns = _headers(path, header, records, header_row, problems)
    keep = [i for i, name in enumerate(columns) if name is not None]
    data = [[(cells[i] if i < len(cells) else None) for i in keep] for _, cells in records]
    frame = pd.DataFrame(data, columns=[columns[i] for i in keep], index=[r - FIRST_DATA_ROW for r, _ in records],
                         dtype=object)
    if frame.empty:
        raise _fail(path, f"文件中没有数据行 (只有表头或全是空行)。{note[0] and _sheet_hint_zh(note)}",
                    f"the file has no records (only a header or blank rows).{note[0] and _sheet_hint_en(note)}")
    return frame


def _sheet_hint_zh(note: tuple[str, str]) -> str:
    sheet, others = note
    return (f"读取的是工作表「{sheet}」" + (f"; 文件中还有工作表 {others}: 如果数据在其中, 请在配置中用 sheet: 指定"
                                          f"工作表名称" if others else "") + "。")


def _sheet_hint_en(note: tuple[str, str]) -> str:
    sheet, others = note
    return (f" Sheet read: {sheet!r}" + (f"; the file also has {others}: if the data is there, name it with "
                                       f"'sheet:' in the configuration" if others else "") + ".")


def _headers(path: Path, header: list, records: list[tuple[int, list]], header_row: int,
             problems: list[Problem]) -> list[str | None]:
    """Column names (``None``: dropped). A repeated name is an error unless both columns hold the same values."""
    names: list[str | None] = [None if v is None else str(v) for v in header]
    column = lambda i: [cells[i] if i < len(cells) else None for _, cells in records]  # noqa: E731
    for i, name in enumerate(names):
        if name is None and any(v is not None for v in column(i)):
            problems.append(Problem(str(path), f"第 {_letter(i)} 列有数据但没有表头 (第 {header_row} 行为空), 已忽略该列。"
                                    "如需使用, 请填写表头。", f"column {_letter(i)} has data but no header; it was "
                                    "ignored (give it a header to use it)", row=header_row, severity="warning"))
    errors = []
    for i, name in enumerate(names):
        if name is None:
            continue
        for j in range(i):
            if names[j] != name:
                continue
            where = f"{_letter(j)} 列和 {_letter(i)} 列"
            if column(i) == column(j):
                problems.append(Problem(str(path), f"表头「{name}」出现两次 ({where}), 两列内容相同: 只读取了 "
                                        f"{_letter(j)} 列。", f"header {name!r} appears twice (columns {_letter(j)} "
                                        f"and {_letter(i)}) with the same values; column {_letter(j)} was read",
                                        row=header_row, column=name, severity="warning"))
            else:
                errors.append(Problem(str(path), f"表头「{name}」出现两次 ({where}), 两列内容不同, 无法确定用哪一列。"
                                      "请删除或改名其中一列。", f"header {name!r} appears twice (columns "
                                      f"{_letter(j)} and {_letter(i)}) with different values; delete or rename one",
                                      row=header_row, column=name))
            names[i] = None
            break
    if errors:
        raise InputError(path, errors + problems)
    return names


def _read_excel(path: Path, sheet: str | int | None, problems: list[Problem]) -> tuple[list, tuple[str, str]]:
    """Rows ``(spreadsheet row, values)`` of one sheet (saved results of formulas, merged cells filled down) and
    ``(sheet name, the other sheets' names)``."""
    import openpyxl

    try:
        with warnings.catch_warnings():  # "extension is not supported" and the like: features, not data
            warnings.simplefilter("ignore", UserWarning)
            values = openpyxl.load_workbook(path, data_only=True)
            formulas = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise _fail(path, f"无法打开 Excel 文件 ({type(exc).__name__})。文件可能已损坏或被加密。",
                    f"cannot open the Excel file ({type(exc).__name__}: {exc}); it may be corrupt or encrypted"
                    ) from None
    names = values.sheetnames
    if isinstance(sheet, int) and not 0 <= sheet < len(names) or sheet is not None and not isinstance(
            sheet, int) and str(sheet) not in names:
        raise _fail(path, f"找不到工作表 {sheet!r}。文件中的工作表: {', '.join(names)}。请检查配置中的 sheet。",
                    f"no sheet {sheet!r}; the sheets are: {', '.join(names)}; check 'sheet' in the configuration")
    name = names[0] if sheet is None else names[sheet] if isinstance(sheet, int) else str(sheet)
    ws, wf = values[name], formulas[name]
    grid = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row}
    _fill_merged(path, ws, grid, problems)
    for row in wf.iter_rows():
        for cell in row:
            if cell.data_type == "f" and grid.get((cell.row, cell.column)) is None:
                problems.append(Problem(
                    str(path), f"单元格 {cell.coordinate} 是公式 ({str(cell.value)[:40]}), 但文件中没有保存它的计算结果 "
                    "(文件可能由程序生成、未在 Excel 中保存过), 读作空值。请在 Excel/WPS 中打开并保存一次, 或填入数值。",
                    f"cell {cell.coordinate} is a formula without a saved result (a file written by a program, never "
                    "saved by Excel); read as empty. Open and save it in Excel/WPS, or type the value",
                    row=cell.row, value=str(cell.value), severity="warning"))
    width = max((c for _, c in grid), default=0)
    rows = [(r, [grid.get((r, c)) for c in range(1, width + 1)]) for r in range(1, ws.max_row + 1)]
    others = "、".join(f"「{n}」" for n in names if n != name)
    return rows, (name, others)


def _fill_merged(path: Path, ws, grid: dict, problems: list[Problem]) -> None:
    """Give every cell of a merged range below the first row the range's value, and say so."""
    for merged in ws.merged_cells.ranges:
        value = grid.get((merged.min_row, merged.min_col))
        if merged.min_row == 1 or value is None:
            continue
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[(r, c)] = value
        problems.append(Problem(str(path), f"合并单元格 {merged.coord}: 值 {value!r} 已填入该范围的每一行 "
                                f"(第 {merged.min_row}-{merged.max_row} 行)。如果不对, 请取消合并并逐行填写。",
                                f"merged cells {merged.coord}: the value {value!r} was filled into every row of the "
                                "range; if that is wrong, unmerge them and fill each row", row=merged.min_row,
                                value=value, severity="warning"))


def _delimiter(text: str, sep: str | None) -> str:
    if sep is not None:
        return sep
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(first, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, sep: str | None) -> tuple[list[tuple[int, list]], str]:
    """Rows ``(spreadsheet row, fields)`` (a record's row as Excel numbers it; blank lines count) and the encoding."""
    raw = path.read_bytes()
    utf16 = ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ()  # Excel's "Unicode text" export
    for encoding in utf16 + settings.csv_encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, sep), skipinitialspace=True,
                            strict=True)
        try:
            rows = [(i, fields) for i, fields in enumerate(reader, start=1)]
        except csv.Error as exc:
            why_zh = ("有一个英文双引号没有闭合, 从它开始到文件末尾都成了一个单元格; 请补上引号"
                      if "end of data" in str(exc) else f"{exc}")
            raise _fail(path, f"CSV 格式错误 (第 {reader.line_num} 行): {why_zh}。请检查引号, 或用 Excel 打开后另存为"
                        "「CSV UTF-8」。", f"malformed CSV at line {reader.line_num}: {exc}; check the quotes, or open it "
                        "in Excel and save as 'CSV UTF-8'") from None
        _check_widths(path, rows)
        return rows, encoding
    raise _fail(path, "无法识别文件编码 (试过 UTF-8 和 GBK/GB18030)。请在 Excel 中另存为「CSV UTF-8」。",
                "cannot decode the file (tried UTF-8 and GBK/GB18030); save it as 'CSV UTF-8' from Excel")


def _check_widths(path: Path, rows: list[tuple[int, list]]) -> None:
    """A record with more fields than the header: the CSV is malformed (an unquoted comma)."""
    filled = [(r, f) for r, f in rows if any(x.strip() for x in f)]
    if not filled:
        return
    width = len(filled[0][1])
    for row, fields in filled[1:]:
        if len(fields) > width and any(x.strip() for x in fields[width:]):
            raise _fail(path, f"CSV 格式错误: 第 {row} 行有 {len(fields)} 个字段, 表头只有 {width} 列。请检查该行是否有多余的"
                        "逗号 (含逗号的值要加英文双引号)。", f"malformed CSV: line {row} has {len(fields)} fields, the "
                        f"header has {width}; check for a stray comma (quote values that contain commas)")


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
    return _without_control_characters(path, frame)


def _without_control_characters(path: Path, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with invisible control characters removed from its text attributes (Word and Excel cannot hold
    them), saying how many cells changed."""
    changed = 0
    for column in frame.columns:
        if column == frame.geometry.name or frame[column].dtype != object and not isinstance(frame[column].dtype,
                                                                                              pd.StringDtype):
            continue
        n = sum(1 for v in frame[column] if isinstance(v, str) and _CONTROL.search(v))
        if n:
            frame[column] = frame[column].map(lambda v: _CONTROL.sub("", v) if isinstance(v, str) else v)
            changed += n
    if changed:
        log.warning("%s: 已删除 %d 个单元格中不可见的控制字符 (removed invisible control characters from %d cells)",
                    path, changed, changed)
    return frame
