"""Line breaking for mixed Chinese/Latin text and content-sized table columns (PDF and Word).

Chinese text may break between any two characters, but a Latin word, a number (「35.4%」, 「2021-2023」), a code
(「S2023-06」) or a short bracketed note (「(估算)」) must stay whole, a closing mark (「、」「。」「)」) may not start
a line and an opening mark (「(」「「」) may not end one (GB/T 15834 and the usual 避头尾 rules). :func:`tokens` cuts a
text into the pieces that may not be split, :func:`break_lines` fills lines with them, and :func:`column_widths`
sizes table columns to their content the way a browser's automatic table layout does (every column at least as
wide as its widest unbreakable piece, the rest shared in proportion to how much more each column would like).
Widths are measured by a function the caller passes (the PDF font's metrics, or an estimate for Word).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["tokens", "break_lines", "column_widths", "min_width", "natural_width", "estimate_width_em",
           "CJK_CHARS"]

#: CJK ideographs, kana, CJK and full-width punctuation: characters between which a line may break.
CJK_CHARS = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
#: Marks that may not begin a line (they stay with the piece before them).
NO_LINE_START = set("、。，．：；？！）」』》〉】〕”’％‰)]},.:;!?%…·")
#: Marks that may not end a line (they stay with the piece after them).
NO_LINE_END = set("（「『《〈【〔“‘([{")
CLOSING_BRACKETS = set(")）」』》】]")
OPENING_BRACKETS = set("(（「『《【[")
#: Inside an over-long Latin piece, a break is allowed after these (as a last resort before breaking anywhere).
SOFT_BREAK_AFTER = set("_/-,;:&?=")

_TOKEN = re.compile(
    r"(?P<space>[ \t\u3000]+)"
    r"|(?P<group>[(（「《【\[][^\s()（）「」《》【】\[\]]{1,6}[)）」》】\]])"
    rf"|(?P<latin>[^\s{CJK_CHARS}]+)"
    r"|(?P<char>.)", re.S)

Measure = Callable[[str], float]


def tokens(text: str) -> list[str]:
    """The pieces of one line of text that a line break may not split, in order; spaces are pieces of their own.

    >>> tokens("覆盖率 35.4% (估算)、石湖荡镇")
    ['覆', '盖', '率', ' ', '35.4%', ' ', '(估算)、', '石', '湖', '荡', '镇']
    """
    raw = [m.group(0) for m in _TOKEN.finditer(text)]
    out: list[str] = []
    for piece in raw:
        if out and not out[-1].isspace() and not piece.isspace() and _glued(out[-1], piece):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _glued(before: str, after: str) -> bool:
    """No break between two pieces: a closing mark first on a line, an opening mark last, or a bracket touching a
    Latin letter or digit (「(二)1」, 「1(」)."""
    return (after[0] in NO_LINE_START or before[-1] in NO_LINE_END
            or (before[-1] in CLOSING_BRACKETS and after[0].isascii() and after[0].isalnum())
            or (after[0] in OPENING_BRACKETS and before[-1].isascii() and before[-1].isalnum()))


def _soft_pieces(token: str) -> list[str]:
    """An over-long piece cut after its soft break marks (「has_nursery_class」 → 「has_」「nursery_」「class」)."""
    parts, start = [], 0
    for i, ch in enumerate(token[:-1]):
        if ch in SOFT_BREAK_AFTER and token[i + 1] not in SOFT_BREAK_AFTER:
            parts.append(token[start:i + 1])
            start = i + 1
    parts.append(token[start:])
    return [p for p in parts if p]


def _fit_piece(token: str, width: float, measure: Measure) -> list[str]:
    """A piece wider than the line: first at its soft break marks, then (last resort) between characters."""
    out: list[str] = []
    for part in _soft_pieces(token) if len(token) > 1 else [token]:
        if out and measure(out[-1] + part) <= width:
            out[-1] += part
        elif measure(part) <= width or len(part) == 1:
            out.append(part)
        else:
            line = ""
            for ch in part:
                if line and measure(line + ch) > width:
                    out.append(line)
                    line = ""
                line += ch
            out.append(line)
    return out


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (in the units of ``measure``).

    Existing line breaks are kept; spaces at the ends of lines are dropped; a piece that does not fit on a line of
    its own is cut by :func:`_fit_piece` (the only case in which a Latin word is split).
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        lines.extend(_break_paragraph(paragraph, width, measure))
    return lines


def _break_paragraph(text: str, width: float, measure: Measure) -> list[str]:
    lines: list[str] = []
    line, line_w, space = "", 0.0, ""
    for token in tokens(text):
        if token.isspace():
            space = token if line else ""
            continue
        w = measure(token)
        gap = measure(space) if space else 0.0
        if line and line_w + gap + w <= width:
            line, line_w = line + space + token, line_w + gap + w
        else:
            if line:
                lines.append(line)
            pieces = [token] if w <= width else _fit_piece(token, width, measure)
            lines.extend(pieces[:-1])
            line = pieces[-1]
            line_w = measure(line)
        space = ""
    lines.append(line)
    return lines


def min_width(text: str, measure: Measure) -> float:
    """Width of the widest piece of ``text`` that may not be split (the narrowest column it fits in)."""
    pieces = [t for line in str(text).split("\n") for t in tokens(line) if not t.isspace()]
    return max((measure(t) for t in pieces), default=0.0)


def natural_width(text: str, measure: Measure) -> float:
    """Width of ``text`` on one line (its longest line if it has line breaks)."""
    return max((measure(line.strip()) for line in str(text).split("\n")), default=0.0)


#: A column is given room for at least this many Chinese characters on a line (if its content is that long).
SOFT_MIN_CHARS = 5
#: ... fewer (down to 2) if those minimum widths would take more than this share of the table.
SOFT_MIN_BUDGET = 0.65


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], total: float, measure: Measure, *,
                  padding: float = 0.0, header_measure: Measure | None = None) -> list[float]:
    """Column widths that add up to ``total``, sized to the content so that the table is as short as possible.

    Every column is at least as wide as its widest unbreakable piece and, if its content is longer, room for
    :data:`SOFT_MIN_CHARS` Chinese characters (fewer in a table of many columns); the space left goes, step by
    step, to the column where it saves the most lines of the table per unit of width (:func:`_shortest_table`),
    and what saves no more lines is shared in proportion to how much wider each column would be with every cell
    on one line. If every cell fits on one line, the natural widths are stretched to ``total``; if even the
    minimum widths do not fit, they are scaled down (and :func:`break_lines` cuts the longest pieces).

    Parameters
    ----------
    columns, rows
        Header texts and cell texts.
    total
        Width of the table.
    measure, header_measure
        Text width functions for the cells and the header (default: ``measure``).
    padding
        Horizontal padding on each side of a cell (same unit).
    """
    header_measure = header_measure or measure
    n = len(columns)
    cells = [[str(columns[i])] + [str(r[i]) if i < len(r) else "" for r in rows] for i in range(n)]
    natural = np.array([[natural_width(c, header_measure if k == 0 else measure) for k, c in enumerate(col)]
                        for col in cells]).T
    hard = np.array([max(min_width(c, header_measure if k == 0 else measure) for k, c in enumerate(col))
                     for col in cells]) + 2 * padding
    high = np.maximum(natural.max(axis=0) + 2 * padding, hard)
    if high.sum() <= total:
        return list(high * total / high.sum()) if high.sum() > 0 else [total / n] * n
    if hard.sum() >= total:
        return list(hard * total / hard.sum())
    widths = hard
    for chars in range(SOFT_MIN_CHARS, 1, -1):
        soft = np.minimum(high, np.maximum(hard, measure("国" * chars) + 2 * padding + 1e-6))
        if soft.sum() <= SOFT_MIN_BUDGET * total:
            widths = soft
            break
    widths = _shortest_table(natural, widths.astype(float), total, padding)
    spare, want = total - widths.sum(), np.maximum(high - widths, 0)
    if spare > 0:
        widths = widths + spare * (want / want.sum() if want.sum() > 0 else widths / widths.sum())
    return [float(w) for w in widths]


def _lines(natural: np.ndarray, widths: np.ndarray, padding: float) -> np.ndarray:
    """Estimated lines of each cell (rows × columns) at the given column widths."""
    return np.ceil(natural / np.maximum(widths - 2 * padding, 1e-9) - 1e-9).clip(min=1)


#: Weight of every cell's own lines against the table's height (rows × their tallest cell) in
#: :func:`_shortest_table`: enough that a narrow column of short texts is widened rather than broken per character.
CELL_LINES_WEIGHT = 0.1


def _cost(natural: np.ndarray, widths: np.ndarray, padding: float) -> float:
    lines = _lines(natural, widths, padding)
    return float(lines.max(axis=1).sum() + CELL_LINES_WEIGHT * lines.sum())


def _shortest_table(natural: np.ndarray, widths: np.ndarray, total: float, padding: float) -> np.ndarray:
    """Greedy: widen, one step at a time, the column whose next width that saves a line saves the most lines
    (the table's height, and a little for every cell's own lines: :data:`CELL_LINES_WEIGHT`) per unit of width,
    while there is room."""
    widths = widths.copy()
    while total - widths.sum() > 1e-6:
        lines = _lines(natural, widths, padding)
        cost = _cost(natural, widths, padding)
        best, best_gain = None, 0.0
        for j in range(len(widths)):
            wrapped = lines[:, j] > 1
            steps = natural[:, j][wrapped] / (lines[:, j][wrapped] - 1) + 2 * padding + 1e-6
            for width in sorted({float(w) for w in steps if widths[j] < w <= widths[j] + total - widths.sum()})[:6]:
                trial = widths.copy()
                trial[j] = width
                gain = (cost - _cost(natural, trial, padding)) / (width - widths[j])
                if gain > best_gain + 1e-12:
                    best, best_gain = (j, width), gain
        if best is None:
            break
        widths[best[0]] = best[1]
    return widths


def estimate_width_em(text: str) -> float:
    """Approximate width of ``text`` in ems of a proportional font (Chinese 1, Latin capitals and digits ~0.6,
    other Latin ~0.5, spaces 0.28), for layouts without font metrics (Word)."""
    width = 0.0
    for ch in text:
        if re.match(f"[{CJK_CHARS}]", ch):
            width += 1.0
        elif ch == " ":
            width += 0.28
        elif ch.isupper() or ch.isdigit() or ch in "%@#&mwMW":
            width += 0.6
        else:
            width += 0.5
    return width
