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

from ..config import FacilityAttribute, FacilityType, RunConfig, TypeGroup
from ..errors import MissingColumnError, ProblemList
from ..vocabulary import CAPACITY, DISTRICT_CODE, FAIL, INSUFFICIENT, PASS, STATUSES

__all__ = ["RunInfo", "fmt_int", "fmt_share", "fmt_pp", "fmt_min", "fmt_minutes", "fmt_distance", "fmt_value", "est",
           "split_items", "LONG_TRAVEL_MIN", "circle_register_complete", "circle_types",
           "circle_threshold", "COVERAGE_BINS", "COVERAGE_COLORS", "NO_DATA", "NO_DATA_COLOR", "coverage_class",
           "coverage_class_label", "share_has_no_data",
           "STATUSES", "STATUS_COLORS", "STATUS_HATCHES", "SHAPES", "SHAPE_MPL", "SITE_COLOR",
           "type_styles", "service_color", "service_name", "DISTRICT_CODE", "require_columns",
           "layout_rule_id", "layout_name", "layout_status", "spaced"]

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
        True when the served group's population is an estimated surface or share, not a count.
    notes
        Data sources and caveats, one sentence each (``pipeline.data_notes``).
    facility_types, type_groups
        From the configuration: names, colours and groups of the types.
    circle_service
        Service key (type or group) of the plan's 15-minute circle (``service.circle`` of the type file).
    circle_threshold_min
        Travel time of the circle, minutes.
    layout_rule_id, layout_name_zh
        ``rule_id`` of the rule whose status per 街镇 colours the map and has its own report section
        (``plan.layout_rule`` of the rule file), and its name in documents (e.g. 「3个一」); ``None``: no such rule,
        no such layer or section.
    created
        Date printed on documents (default: today).
    service_name_zh
        The service, e.g. 「托育服务」, 「养老服务」 (``service.name_zh`` of the type file).
    group, group_name_zh, group_short_zh, group_unit_zh
        The served population group: key, name (「60 岁及以上老人」), short name for tight places (「老人」) and the
        counting word after a number (「人」).
    population_note_zh
        How the served group's numbers are estimated, in a few words (empty when they are counts).
    plan_name_zh
        The plan the rules come from (``plan.name_zh`` of the rule file).
    profile_name_zh, profiles
        The primary travel profile's name (「步行」) and every profile as ``(key, name_zh)``, primary first.
    attributes
        The attributes the type file declares (facility popups and tables show these, and only these).
    speed_kph
        Speed of the primary travel profile, km/h: a time over :data:`LONG_TRAVEL_MIN` is printed as the distance
        it stands for (「60 分钟以上 (路程约 15 公里)」).
    layout_parts
        The rule ids the layout rule combines (``rules`` of an ``all_of`` layout rule, e.g. the three legs of the
        「3个一」); the report shows each as a column. Empty: the layout rule is shown alone.
    """

    district_name_zh: str
    travel_description_zh: str
    travel_is_fallback: bool
    population_is_estimate: bool
    notes: tuple[str, ...] = ()
    facility_types: tuple[FacilityType, ...] = ()
    type_groups: tuple[TypeGroup, ...] = ()
    circle_service: str = ""
    circle_threshold_min: int = 15
    layout_rule_id: str | None = None
    created: str = field(default_factory=lambda: _dt.date.today().isoformat())
    service_name_zh: str = "社区服务"
    group: str = "residents"
    group_name_zh: str = "常住人口"
    group_short_zh: str = "居民"
    group_unit_zh: str = "人"
    population_note_zh: str = ""
    layout_name_zh: str = ""
    plan_name_zh: str = ""
    profile_name_zh: str = "步行"
    profiles: tuple[tuple[str, str], ...] = (("walk", "步行"),)
    attributes: tuple[FacilityAttribute, ...] = ()
    speed_kph: float = 4.0
    layout_parts: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: RunConfig, *, travel_description_zh: str, travel_is_fallback: bool,
                    population_is_estimate: bool, notes: Sequence[str] = (), **kwargs) -> RunInfo:
        """Build from a :class:`~svcov.config.RunConfig` and the run's travel model and data notes; ``kwargs``
        (e.g. ``layout_rule_id``, ``layout_name_zh``, ``plan_name_zh`` from the rule file) override."""
        group = config.served_group
        profile_list = config.travel.profile_list()
        profiles = tuple((t.key, t.name_zh) for t in profile_list)
        defaults = {"speed_kph": float(profile_list[0].speed_kph), "circle_service": config.circle_service,
                    "service_name_zh": config.service.name_zh,
                    "group": group.key, "group_name_zh": group.name_zh, "group_short_zh": group.label_zh,
                    "group_unit_zh": group.unit_zh, "population_note_zh": _population_note(config),
                    "profile_name_zh": profiles[0][1], "profiles": profiles, "attributes": tuple(config.attributes),
                    "circle_threshold_min": circle_threshold(config)}
        for key, value in defaults.items():
            kwargs.setdefault(key, value)
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

    @property
    def who(self) -> str:
        """The served group as it follows a word in a sentence: 「 0-3 岁儿童」 (a space before a digit), 「老人」."""
        return spaced(self.group_name_zh)

    @property
    def capacity(self) -> FacilityAttribute | None:
        """The declared capacity attribute, if any."""
        return next((a for a in self.attributes if a.key == CAPACITY), None)

    def caveats(self) -> list[str]:
        """The estimate warnings every document repeats (travel model, population, facility types)."""
        out = []
        time = f"{self.profile_name_zh}时间"
        if self.travel_is_fallback:
            out.append(f"{time}是估算值: {self.travel_description_zh}。有路网后结果会变化。")
        else:
            out.append(f"{time}按路网计算: {self.travel_description_zh}。")
        if self.population_is_estimate:
            how = f" ({self.population_note_zh})" if self.population_note_zh else ""
            out.append(f"{self.group_name_zh}人数和分布是估算值{how}, 不是实际统计; 文中标「估算」的数字都依赖这一估算。")
        out.extend(n for n in self.notes if n.startswith("估算") and n not in out)
        return out


def circle_threshold(config: RunConfig) -> int:
    """Walking time of the circle, minutes: one of the run's thresholds (``travel.thresholds_min``), the siting
    threshold if it is one, else 15 if it is one, else the largest (a run with thresholds [5, 10] has a
    10-minute circle)."""
    thresholds = tuple(int(t) for t in config.travel.thresholds_min)
    for minutes in (int(config.siting.threshold_min), 15):
        if minutes in thresholds:
            return minutes
    return max(thresholds) if thresholds else 15
def spaced(text: str) -> str:
    """``text`` with a space before it when it starts with a digit or Latin letter: 「的 0-3 岁儿童」, 「的老人」."""
    return f" {text}" if text[:1].isascii() and text[:1].isalnum() else text


def _population_note(config: RunConfig) -> str:
    pop, group = config.population, config.served_group
    if pop.kind == "estimate":
        return "普查总数按住宅小区和面积分配到网格"
    if group.share_of is not None:
        base = pop.group(group.share_of).name_zh
        return f"按{base}的 {group.share:.1%} 推算"
    return ""


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


#: Longer travel times than this are printed as 「60 分钟以上 (路程约 N 公里)」: nobody walks two hours to a nursery,
#: and a figure like 「274 分钟」 only says that there is no facility anywhere near.
LONG_TRAVEL_MIN = 60


def fmt_minutes(value: object, speed_kph: float | None = None, *, digits: int = 0, unit: bool = True) -> str:
    """A travel time as a person believes it.

    Parameters
    ----------
    value
        Minutes.
    speed_kph
        Speed of the travel profile: a time over :data:`LONG_TRAVEL_MIN` is given with the distance it stands for.
    digits
        Decimals of times between 1 and 60 minutes.
    unit
        Write 「分钟」 after those times (off in a table column headed 「(分钟)」).

    Returns
    -------
    str
        「12 分钟」 (「12.3」 without unit), 「1 分钟以内」 below a minute, 「60 分钟以上 (路程约 15 公里)」 above an
        hour (the way's length, not the straight line; without a speed: 「60 分钟以上」); missing or infinite: 「—」.
    """
    if _missing(value) or math.isinf(float(value)):
        return "—"
    minutes = float(value)
    if minutes > LONG_TRAVEL_MIN:
        if not speed_kph:
            return f"{LONG_TRAVEL_MIN} 分钟以上"
        km = minutes / 60 * float(speed_kph)
        return f"{LONG_TRAVEL_MIN} 分钟以上 (路程约 {km:.0f} 公里)" if km >= 10 else \
            f"{LONG_TRAVEL_MIN} 分钟以上 (路程约 {km:.1f} 公里)"
    if minutes < 1:
        return "1 分钟以内"
    text = f"{minutes:.{digits}f}"
    return f"{text} 分钟" if unit else text


def fmt_distance(metres: object) -> str:
    """A straight-line distance: 「约 350 米」 (to 10 m) under a kilometre, else 「约 2.4 公里」 (「约 12 公里」 from 10 km)."""
    if _missing(metres) or math.isinf(float(metres)):
        return "—"
    m = float(metres)
    if m < 995:
        return f"约 {max(10, round(m, -1)):.0f} 米"
    km = m / 1000
    return f"约 {km:.0f} 公里" if km >= 9.95 else f"约 {km:.1f} 公里"


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


def circle_types(info: RunInfo) -> tuple[str, ...]:
    """The facility types of the circle's service (the types of its group, or the type itself)."""
    return tuple(next((g.types for g in info.type_groups if g.key == info.circle_service), (info.circle_service,)))


def circle_register_complete(facilities: pd.DataFrame, info: RunInfo) -> bool:
    """Whether the facilities of the circle's service come from complete registers only."""
    rows = facilities[facilities["type"].isin(set(circle_types(info)))]
    return bool(len(rows)) and "complete_register" in rows.columns and bool(rows["complete_register"].all())


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
    """The ``rule_id`` of the layout rule (``info.layout_rule_id``, from ``plan.layout_rule`` of the rule file) if the
    table has it; ``None`` otherwise (then maps and reports leave the layout out)."""
    if info.layout_rule_id is None:
        return None
    return info.layout_rule_id if (rule_status["rule_id"] == info.layout_rule_id).any() else None


def layout_name(rule_status: pd.DataFrame, info: RunInfo) -> str:
    """How documents name the layout rule: ``info.layout_name_zh``, else the rule's label."""
    if info.layout_name_zh:
        return info.layout_name_zh
    rule = layout_rule_id(rule_status, info)
    labels = rule_status.loc[rule_status["rule_id"] == rule, "label_zh"]
    return f"「{labels.iloc[0]}」" if len(labels) else ""


def layout_status(rule_status: pd.DataFrame, info: RunInfo) -> tuple[dict | None, str]:
    """Status of each 街镇 and year under the layout rule, for colouring maps.

    Returns
    -------
    (dict or None, str)
        ``{(year, jiezhen_code): status}`` and the rule's name; ``(None, "")`` if there is no layout rule.
    """
    rule = layout_rule_id(rule_status, info)
    if rule is None:
        return None, ""
    rows = rule_status[(rule_status["rule_id"] == rule) & (rule_status["jiezhen_code"] != DISTRICT_CODE)]
    status = {(int(y), str(c)): str(s) for y, c, s in zip(rows["year"], rows["jiezhen_code"], rows["status"])}
    return status, layout_name(rule_status, info)
