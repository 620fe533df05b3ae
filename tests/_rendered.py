"""Reading rendered documents back, for the typesetting tests: words and their positions on each PDF page
(poppler's ``pdftotext -bbox``), how much of each page is empty (``pdftoppm``), and Word files turned into PDF by
LibreOffice (``soffice --headless --convert-to pdf``).

The tools are Debian packages (``poppler-utils``, ``libreoffice-writer-nogui``); ``.ci/run`` installs them, and
:func:`missing` names the package to install so that tests elsewhere can skip with it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOOLS = {"pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "soffice": "libreoffice-writer-nogui"}


def missing(*tools: str) -> str | None:
    """Why a test cannot run here (``None`` if it can): the Debian packages to install."""
    absent = [t for t in tools if shutil.which(t) is None]
    if not absent:
        return None
    packages = sorted({TOOLS[t] for t in absent})
    return (f"needs {', '.join(absent)} (Debian package {' '.join(packages)}: "
            f"sudo apt-get install -y {' '.join(packages)})")


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_words(path: Path) -> list[Word]:
    """Every word of the PDF with its box (points), page by page."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for page, body in enumerate(out.split("<page ")[1:], start=1):
        for m in _WORD.finditer(body):
            words.append(Word(page, *(float(v) for v in m.groups()[:4]), html.unescape(m.group(5))))
    return words


def _segments(words: list[Word], gap_pt: float) -> list[list[Word]]:
    """Runs of words on one text line separated by less than ``gap_pt`` (one cell's line, in a table)."""
    rows: dict[tuple[int, float], list[Word]] = {}
    for w in words:
        rows.setdefault((w.page, round(w.y0, 0)), []).append(w)
    segments = []
    for key in sorted(rows):
        line = sorted(rows[key], key=lambda w: w.x0)
        current = [line[0]]
        for w in line[1:]:
            if w.x0 - current[-1].x1 > gap_pt:
                segments.append(current)
                current = [w]
            else:
                current.append(w)
        segments.append(current)
    return segments


LATIN = re.compile(r"[A-Za-z0-9]")
NO_LINE_START = set("、。，．：；？！）」』》〉】〕”’％)]},.:;!?%")


def split_words(words: list[Word], *, gap_pt: float = 4.0, spacing: float = 1.15) -> list[str]:
    """Line breaks that split a Latin word or a number, start a line with a closing mark, or break a short
    bracketed note (「(估|算)」), as 「end of line | start of next line」.

    Two text segments are read as one text broken over two lines when the second lies on the next line (at most
    ``spacing`` × the first's height below it) and they overlap horizontally: lines of one paragraph, or of one
    table cell (cells of the next row start lower, cells beside it do not overlap).
    """
    segments = _segments(words, gap_pt)
    problems = []
    for a in segments:
        a_text, height = " ".join(w.text for w in a), a[0].y1 - a[0].y0
        for b in segments:
            dy = b[0].y0 - a[0].y0
            if b[0].page != a[0].page or not 0.5 * height < dy <= spacing * height:
                continue
            if b[0].x0 > a[-1].x1 or b[-1].x1 < a[0].x0:
                continue
            b_text = " ".join(w.text for w in b)
            if _bad_break(a_text, b_text):
                problems.append(f"p{a[0].page}: …{a_text[-12:]} | {b_text[:12]}…")
    return problems


def _bad_break(before: str, after: str) -> bool:
    if LATIN.match(before[-1]) and LATIN.match(after[0]):
        return True
    if after[0] in NO_LINE_START:
        return True
    tail = before[before.rfind("(") + 1:] if "(" in before else None
    closing = re.match(r"^([^\s()]{1,5})\)", after)
    # a short bracketed note split in two (「(估|算)」); a longer one may break at its spaces
    return tail is not None and ")" not in tail and " " not in tail and closing is not None \
        and len(tail) + len(closing.group(1)) <= 6


def page_bottoms(path: Path, *, dpi: int = 40) -> list[float]:
    """For each page, the lowest ink above the footer as a share of the body height (0 = empty, 1 = full)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), f"{tmp}/p"], check=True)
        from PIL import Image

        shares = []
        for png in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1])):
            pixels = np.asarray(Image.open(png))
            height = pixels.shape[0]
            top, bottom = int(height * 18 / 297), int(height * (297 - 16) / 297)
            ink = np.nonzero((pixels[top:bottom] < 200).any(axis=1))[0]
            shares.append(float((ink.max() + 1) / (bottom - top)) if len(ink) else 0.0)
        return shares


def page_texts(path: Path) -> list[str]:
    """The text of each page (``pdftotext -layout``)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def docx_to_pdf(path: Path, out_dir: Path) -> Path:
    """The Word file rendered by LibreOffice as PDF (in ``out_dir``), with its own profile and the project's CJK
    font visible to it (so the result does not depend on the machine's fonts)."""
    from svcov.outputs.charts import cjk_font_path

    profile = Path(tempfile.mkdtemp(prefix="svcov-soffice-"))
    conf = profile / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{cjk_font_path().parent}</dir>
  <cachedir>{profile / "cache"}</cachedir>
</fontconfig>
""", encoding="utf-8")
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(path)], capture_output=True, check=True, timeout=300, env=env)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out_dir / (path.stem + ".pdf")
