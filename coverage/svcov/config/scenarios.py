"""Scenarios (what-ifs) as data: facilities to add (registers, read and validated like any register), facility ids
to close, and optionally another travel profile. A scenario is a YAML file (``svcov run --scenario FILE``) or an
entry of the run configuration's ``scenarios:`` list (a mapping, or the path of such a file)::

    name: two_new_points                 # letters, digits, _ and - (it names the tables)
    label_zh: 岳阳街道新开两处托育点
    add:                                 # registers, as in the configuration's facilities:
      - path: 新增托育点.csv
        label_zh: 街镇上报的拟开办托育点
        coord_system: gcj02
        default_type: inclusive_childcare_point
    close: [node/5877659045]             # facility ids of the run's registers
    travel: {walk_speed_kph: 3.2}        # optional: e.g. carers with prams

Relative paths are relative to the scenario file (or to the configuration for inline entries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ProblemList
from ..yamlio import LineDict, check_keys, line_of, load_yaml
from .fields import resolve_path
from .sources import FacilitySource, parse_facility_sources
from .travel import TravelConfig, parse_travel

__all__ = ["ScenarioConfig", "parse_scenarios", "load_scenario", "SCENARIO_KEYS"]

SCENARIO_KEYS = {"name", "label_zh", "add", "close", "travel", "description_zh"}


@dataclass(frozen=True)
class ScenarioConfig:
    """One what-if: facilities added (``add``: register sources), closed (``close``: facility ids), and the travel
    profile to use (``travel``; ``None``: the run's). ``path`` is the file it came from (or the configuration)."""

    name: str
    label_zh: str
    add: tuple[FacilitySource, ...] = ()
    close: tuple[str, ...] = ()
    travel: TravelConfig | None = None
    description_zh: str = ""
    path: Path | None = None


def _travel(m: dict, base_travel: TravelConfig, p: ProblemList) -> TravelConfig | None:
    """The scenario's travel: the run's settings with the keys it gives (e.g. ``{walk_speed_kph: 3.2}``, other
    ``profiles``, or ``primary_profile``: one of the run's profiles). A scenario's own speed or profiles replace the
    run's profiles."""
    raw = m.get("travel")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        p.add("scenario.travel 应是映射, 例如 {walk_speed_kph: 3.2} 或 {primary_profile: 配置中的出行方式}。",
              "scenario.travel must be a mapping", row=line_of(m, "travel"), column="travel", value=raw)
        return None
    merged = LineDict({"circuity_factor": base_travel.circuity_factor, "snap_max_m": base_travel.snap_max_m,
                       "thresholds_min": list(base_travel.thresholds_min)})
    own_speed = "walk_speed_kph" in raw or "profiles" in raw
    if not own_speed:
        if base_travel.profiles:
            merged["profiles"] = [{"key": t.key, "name_zh": t.name_zh, "name_en": t.name_en, "speed_kph": t.speed_kph,
                                   "speed_by_highway": dict(t.speed_by_highway)} for t in base_travel.profiles]
            merged["primary_profile"] = base_travel.primary_key
        else:
            merged["walk_speed_kph"] = base_travel.walk_speed_kph
    merged.update(raw)
    merged.line, merged.lines = getattr(raw, "line", 0), dict(getattr(raw, "lines", {}))
    return parse_travel(merged, p)


def _parse(m: dict, base: Path, p: ProblemList, type_keys: set[str], base_travel: TravelConfig,
           path: Path | None) -> ScenarioConfig:
    check_keys(m, SCENARIO_KEYS, "scenario", p, required=("name", "label_zh"))
    name = str(m.get("name", ""))
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        p.add("scenario.name 应只含英文字母、数字、下划线和连字符 (它会成为表格中的情景代码)。",
              "scenario.name may only contain letters, digits, '_' and '-'", row=line_of(m, "name"), column="name",
              value=name)
    close = m.get("close") or []
    if not isinstance(close, list):
        p.add("scenario.close 应是要关闭的设施编号列表。", "scenario.close must be a list of facility ids",
              row=line_of(m, "close"), column="close", value=close)
        close = []
    add = parse_facility_sources(m.get("add"), base, p, type_keys, line_of(m, "add")) if m.get("add") else ()
    if not add and not close and m.get("travel") is None:
        p.add("情景没有任何改动: 请给出 add (增加的设施名册)、close (关闭的设施编号) 或 travel (出行设置)。",
              "the scenario changes nothing: give add, close or travel", row=line_of(m), column="add")
    return ScenarioConfig(name=name, label_zh=str(m.get("label_zh", name)), add=tuple(add),
                          close=tuple(str(c) for c in close), travel=_travel(m, base_travel, p),
                          description_zh=str(m.get("description_zh", "")), path=path)


def load_scenario(path: str | Path, type_keys: set[str], base_travel: TravelConfig) -> ScenarioConfig:
    """Read and validate a scenario file.

    Raises
    ------
    ConfigError
        Listing every problem of the file with its line.
    """
    path = Path(path)
    raw = load_yaml(path)
    p = ProblemList(str(path))
    out = _parse(raw, path.resolve().parent, p, type_keys, base_travel, path)
    p.raise_if_errors(ConfigError)
    return out


def parse_scenarios(value: object, base: Path, p: ProblemList, type_keys: set[str], base_travel: TravelConfig,
                    line: int | None) -> tuple[ScenarioConfig, ...]:
    """The configuration's ``scenarios:`` list (mappings, or paths of scenario files)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        p.add("scenarios 应是列表 (每项是情景映射或情景文件路径)。", "scenarios must be a list", row=line,
              column="scenarios", value=value)
        return ()
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append(_parse(item, base, p, type_keys, base_travel, None))
            continue
        path = resolve_path(item, base)
        if not path.is_file():
            p.add(f"scenarios: 情景文件不存在 {path}。", f"scenarios: file not found {path}", row=line,
                  column="scenarios", value=str(item))
            continue
        try:
            out.append(load_scenario(path, type_keys, base_travel))
        except ConfigError as exc:
            p.problems.extend(exc.problems)
    names = [s.name for s in out]
    for name in {n for n in names if names.count(n) > 1}:
        p.add(f"情景代码「{name}」重复。", f"scenario name {name!r} is repeated", row=line, column="scenarios",
              value=name)
    return tuple(out)
