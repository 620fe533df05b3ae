"""The city summary of a batch: the district tables put side by side, the city map and report, the batch manifest.

Tables are combined as they come from the districts (every column kept), so the summary does not depend on which
population groups a run counts; only the map and the report pick the rows of the served group and primary travel
profile (see :func:`svcov.outputs.city.circle_share_column`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from ..files import atomic_write_text, package_versions
from ..outputs.city import write_city_map, write_city_report
from ..outputs.context import circle_threshold
from ..outputs.tables import write_table
from ..pipeline import coverage_labels
from ..vocabulary import DISTRICT_CODE

__all__ = ["write_summary", "BATCH_LABELS_ZH"]

log = logging.getLogger(__name__)

BATCH_LABELS_ZH = {"district": "区县代码", "district_name_zh": "区县", "status": "状态", "message": "说明",
                   "seconds": "用时(秒)", "folder": "结果文件夹", "task_hash": "输入与设置哈希",
                   "n_neighbour_facilities": "邻区设施数(跨区可达)", "n_neighbour_demand": "邻区人口点数(跨区可达)"}


def city_title(name_zh: str, n_districts: int, minutes: int, service_zh: str) -> str:
    """「上海市 16 个区 15 分钟社区托育服务圈」: the batch's readable name (none: just the count), the circle's
    minutes and the service (the machine key ``batch_name`` names only the folder)."""
    head = f"{name_zh} {n_districts} 个区" if name_zh else f"{n_districts} 个区"
    core = service_zh.strip().removeprefix("社区").removesuffix("服务")
    return f"{head} {minutes} 分钟社区{core}服务圈"


def write_summary(batch, tasks: Sequence, outcomes: Sequence, *, notes: Sequence[str] = ()):
    """Write ``tables/city_districts``, ``tables/city_jiezhen``, ``tables/batch_status``, ``map.html``,
    ``report.html``/``.docx`` and ``batch_manifest.json`` into the batch folder; returns the three tables."""
    out = batch.out_dir
    districts, jiezhen = _coverage_tables(outcomes)
    status = _status_table(tasks, outcomes)
    labels = {**coverage_labels(batch.template), **BATCH_LABELS_ZH}
    notes = list(notes) + ["全市汇总: 各区分别计算 (含跨区可达的邻区设施), 只统计本区居民。"]
    write_table(districts, out / "tables" / "city_districts", labels=labels, sheet_name="各区覆盖率", notes=notes,
                float_digits=4)
    write_table(jiezhen, out / "tables" / "city_jiezhen", labels=labels, sheet_name="各街镇覆盖率", notes=notes,
                float_digits=4)
    write_table(status, out / "tables" / "batch_status", labels=labels, sheet_name="各区运行状态", notes=notes)
    boundaries = _city_boundaries(tasks)
    template = batch.template
    title = city_title(batch.title_zh, len(outcomes), circle_threshold(template), template.service.name_zh)
    year = template.report_year
    served = {"group": template.served_group.key, "group_name_zh": template.served_group.name_zh,
              "profile": template.travel.profile_list()[0].key}
    write_city_map(out / "map.html", boundaries=boundaries, jiezhen=jiezhen, status=status, title=title,
                   year=year, notes=notes, **served)
    write_city_report(out, jiezhen=jiezhen, districts=districts, status=status, title=title, year=year, notes=notes,
                      **served)
    manifest = {"tool": "svcov batch", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "batch": str(batch.path),
                "template": str(template.path), "halo_margin_m": batch.halo_margin_m,
                "districts": status.to_dict(orient="records"), "versions": package_versions()}
    atomic_write_text(out / "batch_manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    log.info("batch summary written to %s", out)
    return districts, jiezhen, status


def _coverage_tables(outcomes: Sequence) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = [o.coverage.assign(district=o.key, district_name_zh=o.name_zh) for o in outcomes
             if o.coverage is not None and len(o.coverage)]
    if not parts:
        empty = pd.DataFrame(columns=["district", "district_name_zh", "jiezhen_code"])
        return empty, empty
    table = pd.concat(parts, ignore_index=True)
    first = ["district", "district_name_zh"]
    table = table[first + [c for c in table.columns if c not in first]]
    is_district = table["jiezhen_code"].astype(str) == DISTRICT_CODE
    return table[is_district].reset_index(drop=True), table[~is_district].reset_index(drop=True)


def _status_table(tasks: Sequence, outcomes: Sequence) -> pd.DataFrame:
    by_key = {t.key: t for t in tasks}
    rows = []
    for o in outcomes:
        task = by_key.get(o.key)
        rows.append({"district": o.key, "district_name_zh": o.name_zh, "status": o.status,
                     "message": o.message, "seconds": round(float(o.seconds), 1), "folder": f"{o.key}/",
                     "task_hash": task.task_hash if task else "",
                     "n_neighbour_facilities": len(task.inputs.neighbours) if task else 0,
                     "n_neighbour_demand": len(task.inputs.neighbour_demand) if task else 0})
    return pd.DataFrame(rows)


def _city_boundaries(tasks: Sequence) -> gpd.GeoDataFrame:
    if not tasks:
        return gpd.GeoDataFrame(columns=["jiezhen_code", "name", "district", "geometry"], geometry="geometry")
    parts = [t.inputs.boundaries.assign(district=t.key, district_name_zh=t.name_zh) for t in tasks]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
