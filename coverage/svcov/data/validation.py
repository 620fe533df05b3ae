"""Column matching (Chinese or English headers) and value parsing that records every problem with its row.

Helpers here never raise on a bad value: they add a :class:`~svcov.errors.Problem` to the file's
:class:`~svcov.errors.ProblemList` and return a missing value, so one pass reports everything.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import ProblemList
from .readers import FIRST_DATA_ROW

__all__ = ["normalise_header", "resolve_columns", "parse_numbers", "parse_bools", "parse_years", "excel_row",
           "TRUE_WORDS", "FALSE_WORDS", "check_unique"]

TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "有", "开设", "已开设", "√", "✓", "对"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "无", "没有", "未开设", "×", "✗", "不是"}


def excel_row(index: int, p: ProblemList | None = None) -> int:
    """Row number users see for the record with 0-based index label ``index``.

    Tables: the spreadsheet row (header = 1, so the first record is 2). GIS layers (``p.row_base == 1``): the
    feature number, counting from 1.
    """
    base = FIRST_DATA_ROW if p is None else p.row_base
    return int(index) + base


def normalise_header(name: object) -> str:
    """Normalise a header for matching: NFKC (full-width → half-width), lower case, no spaces, no bracketed note.

    ``"经度（GCJ02）"`` → ``"经度"``; ``" Longitude "`` → ``"longitude"``.
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"[\(\[【].*?[\)\]】]", "", text)
    return re.sub(r"[\s_\-]+", "", text)


def resolve_columns(columns: Iterable[str], aliases: Mapping[str, tuple[str, ...]], p: ProblemList, *,
                    required: Iterable[str] = (), explicit: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map canonical column names to the file's headers.

    Parameters
    ----------
    columns
        The file's headers.
    aliases
        Canonical name → accepted spellings (Chinese and English).
    p
        Problems of this file.
    required
        Canonical names that must be found.
    explicit
        Canonical name → header, from the configuration (``columns:``), tried first.

    Returns
    -------
    dict
        Canonical name → header found in the file.
    """
    columns = list(columns)
    found: dict[str, str] = {}
    for canonical, header in (explicit or {}).items():
        if header in columns:
            found[canonical] = header
        else:
            p.add(f"配置中指定的列「{header}」(用作 {canonical}) 不在文件中。文件的列: {', '.join(columns)}。",
                  f"column {header!r} (given for {canonical}) is not in the file; its columns: {', '.join(columns)}",
                  column=header)
    _match_aliases(columns, aliases, found, p)
    used = set(found.values())
    for canonical in required:
        if canonical in found:
            continue
        spellings = (canonical, *aliases.get(canonical, ()))
        guess = _closest_header([c for c in columns if c not in used], spellings)
        hint_zh = hint_en = ""
        if guess is not None:
            hint_zh, hint_en = f"列「{guess}」是不是指它? ", f" Is column {guess!r} meant to be it?"
        shown = "、".join(spellings[:6])
        p.add(f"缺少必需的列「{canonical}」(可用的列名: {shown})。{hint_zh}请添加该列或在配置 columns 中指定对应列。",
              f"missing required column {canonical!r} (accepted names: {', '.join(spellings[:6])}).{hint_en} "
              f"Add it, or map it under 'columns' in the config",
              column=canonical)
    return found


def _match_aliases(columns: list[str], aliases: Mapping[str, tuple[str, ...]], found: dict[str, str],
                   p: ProblemList) -> None:
    """Add to ``found`` the header of each canonical name not given explicitly: the first accepted spelling
    present."""
    by_norm: dict[str, list[str]] = {}
    for c in columns:
        by_norm.setdefault(normalise_header(c), []).append(c)
    for canonical, names in aliases.items():
        if canonical in found:
            continue
        for name in (canonical, *names):
            if normalise_header(name) in by_norm:
                found[canonical] = _one_column(canonical, by_norm[normalise_header(name)], p)
                break


def _one_column(canonical: str, candidates: list[str], p: ProblemList) -> str:
    """The one header that means ``canonical``; two that read the same (「经度」 and 「经度（GCJ02）」) are an error."""
    if len(candidates) > 1:
        shown = "」和「".join(candidates)
        p.add(f"列「{shown}」都可作为 {canonical}, 无法确定用哪一列。请删除或改名其中一列, 或在配置 columns 中指定。",
              f"columns {', '.join(map(repr, candidates))} could all be {canonical}; delete or rename one, or map it "
              "under 'columns' in the config", column=candidates[1])
    return candidates[0]


def _closest_header(unused: list[str], spellings: tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """The unused header most similar to any accepted spelling (a likely typo), if similar enough."""
    best, best_ratio = None, cutoff
    for column in unused:
        for name in spellings:
            ratio = difflib.SequenceMatcher(None, normalise_header(column), normalise_header(name)).ratio()
            if ratio > best_ratio:
                best, best_ratio = column, ratio
    return best


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str)
                                                                                and value.strip() == "")


#: A number with thousands separators: 1,234 or 12,345,678.9 (any other comma is a decimal comma).
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_numbers(values: pd.Series, column: str, p: ProblemList, *, lo: float | None = None,
                  hi: float | None = None, what_zh: str = "数值", fix_zh: str = "", fix_en: str = "",
                  integer: bool = False) -> pd.Series:
    """Parse a column of numbers; report unparseable or out-of-range values. Returns float64 with NaN.

    Thousands separators are accepted (``1,234``); any other comma is reported as a decimal comma (``121,3015``).
    """
    out = np.full(len(values), np.nan)
    for i, (idx, value) in enumerate(values.items()):
        if _is_missing(value):
            continue
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if "," in text and not _THOUSANDS.match(text):
            p.add(f"{what_zh}里的逗号看起来是小数点 (小数点应写作「.」, 例如 {text.replace(',', '.', 1)})。{fix_zh}",
                  f"the comma looks like a decimal comma; write a decimal point, e.g. {text.replace(',', '.', 1)}",
                  row=excel_row(idx, p), column=column, value=value)
            continue
        text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            p.add(f"无法识别为{what_zh}。{fix_zh}", f"not a number. {fix_en}".strip(), row=excel_row(idx, p),
                  column=column, value=value)
            continue
        if not np.isfinite(number):
            p.add(f"{what_zh}不是有限数。", "not a finite number", row=excel_row(idx, p), column=column, value=value)
            continue
        if integer and number != round(number):
            p.add(f"{what_zh}应是整数。", "must be a whole number", row=excel_row(idx, p), column=column, value=value)
            continue
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
            p.add(f"{what_zh}超出范围 {rng}。{fix_zh}", f"out of range {rng}. {fix_en}".strip(), row=excel_row(idx, p),
                  column=column, value=value)
            continue
        out[i] = number
    return pd.Series(out, index=values.index)


def parse_years(values: pd.Series, column: str, p: ProblemList, lo: int, hi: int) -> pd.Series:
    """Parse a year column (``2022``, ``2022年``, ``2022-09``) into nullable Int64."""
    cleaned = values.map(lambda v: v if _is_missing(v) else re.sub(r"^(\d{4})(年|[-/.]\d{1,2}.*|\.0)?$", r"\1",
                                                                    str(v).strip()))
    numbers = parse_numbers(cleaned, column, p, lo=lo, hi=hi, what_zh="年份", integer=True,
                            fix_zh="请填四位年份, 例如 2022。", fix_en="write a four-digit year, e.g. 2022")
    return numbers.astype("Int64")


def parse_bools(values: pd.Series, column: str, p: ProblemList) -> pd.Series:
    """Parse yes/no values (是/否, 有/无, true/false, 1/0, Y/N, √/×) into nullable boolean."""
    out = []
    for idx, value in values.items():
        if _is_missing(value):
            out.append(pd.NA)
            continue
        text = unicodedata.normalize("NFKC", str(value)).strip().lower()
        if text.endswith(".0"):
            text = text[:-2]
        if text in TRUE_WORDS:
            out.append(True)
        elif text in FALSE_WORDS:
            out.append(False)
        else:
            p.add("应填「是」或「否」(也可用 有/无、1/0、true/false)。", "must be yes or no (是/否, 1/0, true/false)",
                  row=excel_row(idx, p), column=column, value=value)
            out.append(pd.NA)
    return pd.Series(out, index=values.index, dtype="boolean")


def check_unique(values: pd.Series, column: str, p: ProblemList) -> None:
    """Report every repeated identifier with the rows it appears on."""
    text = values.astype(str)
    dup = text[text.duplicated(keep=False) & values.notna()]
    for value, rows in dup.groupby(dup).groups.items():
        positions = [excel_row(r, p) for r in rows]
        p.add(f"编号重复, 出现在第 {', '.join(map(str, positions))} 行。每条记录需要唯一编号。",
              f"duplicate id on rows {', '.join(map(str, positions))}; every record needs a unique id",
              row=positions[1], column=column, value=value)
