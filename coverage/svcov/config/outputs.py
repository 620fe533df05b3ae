"""Section ``outputs``: where and how the run's files are written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ProblemList
from ..vocabulary import BASEMAPS
from ..yamlio import check_keys, line_of
from .fields import resolve_path

__all__ = ["OutputConfig", "parse_outputs"]


@dataclass(frozen=True)
class OutputConfig:
    """Where and how outputs are written."""

    dir: Path
    basemap: str = "none"
    tianditu_key: str | None = None


def parse_outputs(m: dict, base: Path, p: ProblemList) -> OutputConfig:
    check_keys(m, {"dir", "basemap", "tianditu_key"}, "outputs", p)
    basemap = str(m.get("basemap", "none"))
    if basemap not in BASEMAPS:
        p.add("outputs.basemap 应是 none、osm 或 tianditu。", "outputs.basemap must be none, osm or tianditu",
              row=line_of(m, "basemap"), column="basemap", value=basemap)
    out_dir = resolve_path(m.get("dir", "outputs"), base)
    return OutputConfig(dir=out_dir, basemap=basemap,
                        tianditu_key=None if m.get("tianditu_key") is None else str(m["tianditu_key"]))
