"""What every map and document of a run says about it, how numbers are written, and the shared visual style.

:class:`RunInfo` carries the facts that each output must state (district, travel model, what is estimated, data
sources); the number formatters make the same value read the same in the map, the memos, the report and its
tests; the style constants give each status a colour *and* a hatch, and each facility type a colour *and* a
shape, so that printed pages stay readable in grey.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..config import FacilityType, RunConfig, TypeGroup
from ..errors import MissingColumnError, ProblemList
from ..vocabulary import DISTRICT_CODE, FAIL, INSUFFICIENT, PASS, STATUSES

__all__ = ["RunInfo", "fmt_int", "fmt_share", "fmt_pp", "fmt_min", "fmt_value", "est", "split_items",
           "COVERAGE_BINS", "COVERAGE_COLORS", "NO_DATA", "NO_DATA_COLOR", "coverage_class", "coverage_class_label",
           "share_has_no_data",
           "STATUSES", "STATUS_COLORS", "STATUS_HATCHES", "SHAPES", "SHAPE_MPL", "SITE_COLOR",
           "type_styles", "service_color", "service_name", "DISTRICT_CODE", "require_columns",
           "layout_rule_id", "layout_status"]

#: Fill colours of the rule statuses; their lightness differs (light / dark / middle) so they stay apart in grey print.
STATUS_COLORS = {PASS: "#a6d96a", FAIL: "#d7191c", INSUFFICIENT: "#969696"}
#: Hatches of the static maps and charts (matplotlib), for grey print.
STATUS_HATCHES = {PASS: "", FAIL: "xxx", INSUFFICIENT: "..."}

#: Classes of the coverage maps (share 0-1): lower edges and fills (light to dark, so they stay apart in grey).
COVERAGE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COVERAGE_COLORS = ("#d9e8f5", "#a6cee4", "#5ba3d0", "#2070b4", "#083c7d")
#: A 街镇 with no data (white, dotted): not the same as 0 %.
NO_DATA = "无数据"
NO_DATA_COLOR = "#ffffff"

#: Marker shapes of facility types, in the order types are configured.
SHAPES = ("circle", "square", "triangle", "diamond", "triangle_down", "pentagon", "hexagon", "cross")
#: The same shapes as matplotlib markers.
SHAPE_MPL = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D", "triangle_down": "v",
             "pentagon": "p", "hexagon": "h", "cross": "P", "star": "*"}
#: Proposed sites: a star (a shape no facility type uses).
SITE_COLOR = "#ffd92f"
#: Colours of type groups on maps (types use their configured colour).
GROUP_COLORS = ("#2166ac", "#762a83", "#1b7837", "#8c510a", "#c51b7d", "#01665e")


@dataclass(frozen=True)
class RunInfo:
    """Facts about a run that every map and document states.

    Parameters
    ----------
    district_name_zh
        E.g. 「松江区」.
    travel_description_zh
        One sentence on the travel model (``TravelModel.description_zh``).
    travel_is_fallback
        True when times are straight-line estimates (no road network).
    population_is_estimate
        True when the 0-3 population is an estimated surface, not a count.
    notes
        Data sources and caveats, one sentence each (``pipeline.data_notes``).
    facility_types, type_groups
        From the configuration: names, colours and groups of the types.
    circle_service
        Service key (type or group) of the plan's 15-minute circle (default: group ``inclusive_childcare``).
    circle_threshold_min
        Walking time of the circle, minutes.
    layout_rule_id
        ``rule_id`` of the 「3个一」 rule; ``None``: the first rule whose ``label_zh`` contains 「3个一」.
    created
        Date printed on documents (default: today).
    """

    district_name_zh: str
    travel_description_zh: str
    travel_is_fallback: bool
    population_is_estimate: bool
    notes: tuple[str, ...] = ()
    facility_types: tuple[FacilityType, ...] = ()
    type_groups: tuple[TypeGroup, ...] = ()
    circle_service: str = "inclusive_childcare"
    circle_threshold_min: int = 15
    layout_rule_id: str | None = None
    created: str = field(default_factory=lambda: _dt.date.today().isoformat())

    @classmethod
    def from_config(cls, config: RunConfig, *, travel_description_zh: str, travel_is_fallback: bool,
                    population_is_estimate: bool, notes: Sequence[str] = (), **kwargs) -> RunInfo:
        """Build from a :class:`~svcov.config.RunConfig` and the run's travel model and data notes."""
        groups = {g.key for g in config.type_groups}
        default_circle = "inclusive_childcare" if "inclusive_childcare" in groups else (
            config.type_groups[0].key if config.type_groups else config.facility_types[0].key)
        kwargs.setdefault("circle_service", default_circle)
        # a phrase that sentences around it end: no final full stop of its own
        travel_description_zh = travel_description_zh.strip().rstrip("。.")
        return cls(district_name_zh=config.district_name_zh, travel_description_zh=travel_description_zh,
                   travel_is_fallback=travel_is_fallback, population_is_estimate=population_is_estimate,
                   notes=tuple(notes), facility_types=config.facility_types, type_groups=config.type_groups,
                   **kwargs)

    @property
    def circle_name_zh(self) -> str:
        """Chinese name of the circle's service, e.g. 「普惠性托育服务」."""
        return service_name(self.circle_service, self)

    def caveats(self) -> list[str]:
        """The estimate warnings every document repeats (travel model, population, facility types)."""
        out = []
        if self.travel_is_fallback:
            out.append(f"步行时间是估算值: {self.travel_description_zh}。有路网后结果会变化。")
        else:
            out.append(f"步行时间按路网计算: {self.travel_description_zh}。")
        if self.population_is_estimate:
            out.append("0-3 岁儿童人数和分布是估算值 (普查总数按住宅小区和面积分配到网格), 不是实际统计;"
                       " 文中标「估算」的数字都依赖这一估算。")
        out.extend(n for n in self.notes if n.startswith("估算") and n not in out)
        return out


def fmt_int(value: object) -> str:
    """A count, rounded, with thousands separators: 12345.4 → 「12,345」; missing → 「—」."""
    if _missing(value):
        return "—"
    return f"{round(float(value)):,}"


def fmt_share(value: object, digits: int = 1) -> str:
    """A share 0-1 as a percentage: 0.4567 → 「45.7%」; missing → 「—」."""
    if _missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def fmt_pp(value: object, digits: int = 1) -> str:
    """A change of a share in percentage points, signed: 0.055 → 「+5.5」; missing → 「—」."""
    if _missing(value):
        return "—"
    pp = round(float(value) * 100, digits)
    return f"{pp + 0.0:+.{digits}f}"


def fmt_min(value: object, digits: int = 1) -> str:
    """Minutes: 12.34 → 「12.3」; missing or infinite → 「—」."""
    if _missing(value) or math.isinf(float(value)):
        return "—"
    return f"{float(value):.{digits}f}"


def fmt_value(value: object) -> str:
    """A rule measure as written in the rule table: integers without decimals, others with two; missing → 「—」."""
    if _missing(value):
        return "—"
    if isinstance(value, str):
        return value
    number = float(value)
    return f"{number:,.0f}" if number == round(number) else f"{number:,.2f}"


def est(flag: object) -> str:
    """「 (估算)」 when ``flag`` is true, else empty."""
    return "" if _missing(flag) or not bool(flag) else " (估算)"


def split_items(text: object) -> list[str]:
    """Split a text field of the site table (items separated by new lines or 「；」) into items."""
    if _missing(text):
        return []
    parts = str(text).replace("；", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def type_styles(facility_types: Iterable[FacilityType], extra_types: Iterable[tuple[str, str]] = ()) -> dict:
    """Colour, shape and Chinese name of each facility type.

    Parameters
    ----------
    facility_types
        Configured types (their order assigns the shapes).
    extra_types
        ``(key, name_zh)`` of types found in the data but not configured (grey, after the configured ones).

    Returns
    -------
    dict
        type key → ``{"color", "shape", "name_zh"}``.
    """
    out = {}
    for t in facility_types:
        out[t.key] = {"color": t.color, "shape": SHAPES[len(out) % len(SHAPES)], "name_zh": t.name_zh}
    for key, name in extra_types:
        if key not in out:
            out[key] = {"color": "#555555", "shape": SHAPES[len(out) % len(SHAPES)], "name_zh": name or key}
    return out


def coverage_class(share: object) -> int | None:
    """Index of the class of a share 0-1 in :data:`COVERAGE_BINS` (``None`` if missing)."""
    if _missing(share):
        return None
    value = float(share)
    return min(sum(value >= edge for edge in COVERAGE_BINS[1:-1]), len(COVERAGE_COLORS) - 1)


def coverage_class_label(k: int) -> str:
    """「20-40%」 for class ``k``."""
    return f"{COVERAGE_BINS[k] * 100:.0f}-{COVERAGE_BINS[k + 1] * 100:.0f}%"


def share_has_no_data(share: object, n_facilities: object, register_complete: bool) -> bool:
    """True when a 街镇's covered share says nothing: missing, or 0 % with no facility record in the 街镇 while
    the register is not complete (an empty incomplete register cannot tell "no facility" from "not recorded")."""
    if _missing(share):
        return True
    no_record = not _missing(n_facilities) and float(n_facilities) == 0
    return float(share) == 0 and no_record and not register_complete


def service_name(key: str, info: RunInfo) -> str:
    """Chinese name of a service key (a type or a group); the key itself if unknown."""
    for g in info.type_groups:
        if g.key == key:
            return g.name_zh
    for t in info.facility_types:
        if t.key == key:
            return t.name_zh
    return key


def service_color(key: str, info: RunInfo) -> str:
    """Map colour of a service key: the circle's service is blue, types their colour, groups a palette colour."""
    if key == info.circle_service:
        return GROUP_COLORS[0]
    for t in info.facility_types:
        if t.key == key:
            return t.color
    keys = [g.key for g in info.type_groups if g.key != info.circle_service]
    if key in keys:
        return GROUP_COLORS[1 + keys.index(key) % (len(GROUP_COLORS) - 1)]
    return "#555555"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Check that a frame handed to a renderer has the contract's columns (docs/DEVELOPING.md).

    Parameters
    ----------
    frame
        The frame.
    columns
        Required column names.
    what
        What the frame is, e.g. 「选址结果表 (proposed sites)」; named in the message.

    Raises
    ------
    MissingColumnError
        Naming every missing column.
    """
    problems = ProblemList(what)
    for column in columns:
        if column not in frame.columns:
            problems.add(f"缺少列「{column}」; 请按 docs/DEVELOPING.md 的数据约定提供该列",
                         f"missing column {column!r}; provide it as docs/DEVELOPING.md specifies", column=column)
    problems.raise_if_errors(MissingColumnError)


def layout_rule_id(rule_status: pd.DataFrame, info: RunInfo) -> str | None:
    """The ``rule_id`` of the 「3个一」 rule: ``info.layout_rule_id`` if set, else the rule whose ``label_zh``
    mentions 「3个一」, preferring a composite (``measure == "all_of"``: all three parts together) over its parts;
    ``None`` if the table has no such rule."""
    if info.layout_rule_id is not None:
        return info.layout_rule_id if (rule_status["rule_id"] == info.layout_rule_id).any() else None
    labels = rule_status.drop_duplicates("rule_id")
    match = labels[labels["label_zh"].astype(str).str.contains("3个一|三个一", regex=True)]
    if "measure" in match.columns and (match["measure"] == "all_of").any():
        match = match[match["measure"] == "all_of"]
    return None if match.empty else str(match["rule_id"].iloc[0])


def layout_status(rule_status: pd.DataFrame, info: RunInfo) -> tuple[dict | None, str]:
    """Status of each 街镇 and year under the 「3个一」 rule, for colouring maps.

    Returns
    -------
    (dict or None, str)
        ``{(year, jiezhen_code): status}`` and the rule's label; ``(None, "")`` if there is no 「3个一」 rule.
    """
    rule = layout_rule_id(rule_status, info)
    if rule is None:
        return None, ""
    rows = rule_status[(rule_status["rule_id"] == rule) & (rule_status["jiezhen_code"] != DISTRICT_CODE)]
    status = {(int(y), str(c)): str(s) for y, c, s in zip(rows["year"], rows["jiezhen_code"], rows["status"])}
    return status, "「3个一」"
