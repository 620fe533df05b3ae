"""What the analyst must add before the numbers can carry more weight: the data-gap table (``tables/data_gaps``)
and the report's appendix 「数据说明与待补充数据」 both come from here, so that a missing register, field or road
network is named once, with what it stops the report from saying and how to add it, instead of in every row.

The gaps are read from the tables the renderers are handed: the ``missing_fields`` tokens of the rule status table
(``register:<type>``, ``complete_register``, field keys, ``coverage_table``, a group key), the facility frame
(empty fields, inferred types, opening years) and :class:`~svcov.outputs.context.RunInfo` (straight-line travel,
estimated population). Every word comes from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..vocabulary import DISTRICT_CODE, INSUFFICIENT, YEAR_LABELS_ZH
from .context import RunInfo, circle_types, service_name

__all__ = ["DATA_GAP_COLUMNS", "DATA_GAP_LABELS_ZH", "data_gaps", "write_data_gaps", "field_label", "missing_zh",
           "gap_numbers"]

#: Columns of the data-gap table (docs/DEVELOPING.md, "data gaps").
DATA_GAP_COLUMNS = ("gap_no", "kind", "item", "what_zh", "short_zh", "affects_zh", "n_rules", "n_records", "fix_zh",
                    "setting")
#: Chinese headers of the data-gap table.
DATA_GAP_LABELS_ZH = {"gap_no": "序号", "kind": "类别代码", "item": "代码 (类型、字段或配置项)", "what_zh": "缺少的数据", "short_zh": "简称",
                      "affects_zh": "影响", "n_rules": "因此无法判断的目标 (条)", "n_records": "涉及记录 (条)",
                      "fix_zh": "如何补充", "setting": "配置项或名册列"}
#: Order of the kinds: the registers first (without them targets cannot be judged at all), then what changes
#: every number (road network, population), then fields and the rest.
_ORDER = {"register": 0, "complete_register": 0, "network": 1, "population": 2, "field": 3, "type_inferred": 4,
          "coverage": 5, "group": 6}
_MAX_NAMED = 4
#: Facility fields every register has (not declared in the type file).
_CORE_FIELDS_ZH = {"type": "设施类型", "name": "设施名称"}


def field_label(key: str, info: RunInfo) -> str:
    """Chinese name of a facility field: a declared attribute's label, 开办年份 / 关闭年份, else the key."""
    for a in info.attributes:
        if a.key == key:
            return a.label_zh
    return _CORE_FIELDS_ZH.get(key) or YEAR_LABELS_ZH.get(key, key)


def missing_zh(tokens: Sequence[str], info: RunInfo) -> list[str]:
    """``missing_fields`` tokens of the rule table in words: 「普惠性托育点名册」, 「完整名册」, 「托位数」."""
    out = []
    groups = {g: n for g, n in ((info.group, info.group_name_zh),)}
    for token in tokens:
        if token.startswith("register:"):
            out.append(f"{service_name(token[9:], info)}名册")
        elif token == "complete_register":
            out.append("完整的设施名册")
        elif token == "coverage_table":
            out.append("覆盖率计算结果")
        elif token in groups:
            out.append(f"{groups[token]}人口")
        else:
            label = field_label(token, info)
            # leadership text names no field key: an undeclared field is 「名册中的一项字段」 (its key is in the
            # data-gap table)
            out.append("名册中的一项字段" if label == token and token.isascii() else label)
    return list(dict.fromkeys(out))


def _tokens(value: object) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [t.strip() for t in str(value).split(",") if t.strip()]


def _rules_by_token(rule_status: pd.DataFrame | None, year: int | None) -> dict[str, list[str]]:
    """token → labels of the rules (in file order) that are 数据不足 because of it, in ``year`` (default: last)."""
    if rule_status is None or rule_status.empty:
        return {}
    year = int(rule_status["year"].max()) if year is None else int(year)
    rows = rule_status[(rule_status["year"] == year) & (rule_status["status"] == INSUFFICIENT)]
    out: dict[str, list[str]] = {}
    for label, fields in zip(rows["label_zh"].astype(str), rows["missing_fields"]):
        for token in _tokens(fields):
            names = out.setdefault(token, [])
            if label not in names:
                names.append(label)
    return out


def _named(labels: Sequence[str]) -> str:
    shown = "、".join(f"「{x}」" for x in labels[:_MAX_NAMED])
    return shown + (f"等 {len(labels)} 条" if len(labels) > _MAX_NAMED else "")


def _affects(labels: Sequence[str], default: str) -> str:
    return f"无法判断 {len(labels)} 条目标: {_named(labels)}" if labels else default


def _row(kind: str, item: str, what: str, affects: str, fix: str, setting: str, *, n_rules: int = 0,
         n_records: float = float("nan"), short: str | None = None) -> dict:
    return {"kind": kind, "item": item, "what_zh": what, "short_zh": short or what, "affects_zh": affects,
            "n_rules": n_rules, "n_records": n_records, "fix_zh": fix, "setting": setting}


def _context_rows(info: RunInfo) -> list[dict]:
    rows = []
    if info.travel_is_fallback:
        rows.append(_row("network", "network", f"路网 (现在{info.profile_name_zh}时间按直线距离估算)",
                         f"全部覆盖率和{info.profile_name_zh}时间: 河流、铁路、围墙造成的绕行没有计入, 用路网后覆盖率会变化",
                         "在配置的 network.source 中给出路网文件 (OpenStreetMap 的 .osm / .osm.pbf, 或区里的道路中心线图层), "
                         "或在能上网时设 osm_download 下载一次", "network.source", short="路网"))
    if info.population_is_estimate:
        how = f" (现按{info.population_note_zh})" if info.population_note_zh else ""
        rows.append(_row("population", info.group, f"{info.group_name_zh}的实际人数和分布{how}",
                         "全部人数、覆盖率和新增覆盖人数 (文中标「估算」)",
                         f"在配置的 population 中给出按网格、小区或街镇统计的{info.who}人数 "
                         "(kind: raster、points 或 vector)", "population", short=f"{info.group_name_zh}的实际人数"))
    return rows


def _register_rows(info: RunInfo, by_token: Mapping[str, list[str]], facilities: pd.DataFrame | None) -> list[dict]:
    rows = []
    present = set(facilities["type"].astype(str)) if facilities is not None else set()
    absent = [t[9:] for t in by_token if t.startswith("register:")]
    if facilities is not None:
        absent += [t for t in circle_types(info) if t not in present and t not in absent]
    for key in absent:
        name = service_name(key, info)
        labels = by_token.get(f"register:{key}", [])
        default = f"覆盖率只计入已知设施, 没有{name}" if key in circle_types(info) else "—"
        rows.append(_row("register", key, f"{name}名册", _affects(labels, default),
                         f"把{name}名册 (Excel 或 CSV: 名称、经纬度、开办年份和类型文件声明的属性) 加入配置的 facilities",
                         "facilities", n_rules=len(labels)))
    labels = by_token.get("complete_register", [])
    if labels or (facilities is not None and len(facilities) and not facilities["complete_register"].all()):
        sources = facilities.loc[~facilities["complete_register"].astype(bool), "source_label"] \
            if facilities is not None and "source_label" in facilities.columns else pd.Series(dtype=str)
        names = "、".join(f"「{x}」" for x in dict.fromkeys(sources.astype(str))) or "现有设施数据"
        rows.append(_row("complete_register", "complete_register", f"完整的设施名册: 现有的{names}不是完整名册",
                         "已知数量只是下限, 找不到的设施不等于没有" + (f"; {_affects(labels, '')}" if labels else ""),
                         "用主管部门的完整名册替换, 并在配置中对该名册设 complete_register: true",
                         "facilities[].complete_register", n_rules=len(labels),
                         n_records=float(len(sources)) if len(sources) else float("nan"), short="完整的设施名册"))
    return rows


def _field_rows(info: RunInfo, by_token: Mapping[str, list[str]], facilities: pd.DataFrame | None) -> list[dict]:
    rows = []
    special = {"complete_register", "coverage_table", info.group}
    fields = [t for t in by_token if not t.startswith("register:") and t not in special]
    if facilities is not None and len(facilities) and "opened_year" in facilities.columns \
            and facilities["opened_year"].isna().all() and "opened_year" not in fields:
        fields.append("opened_year")
    for key in fields:
        label = field_label(key, info)
        n_empty = float(facilities[key].isna().sum()) if facilities is not None and key in facilities.columns \
            else float("nan")
        labels = by_token.get(key, [])
        default = "各年按同一批设施计算, 报告看不出逐年变化" if key == "opened_year" else "—"
        aliases = next((a.aliases for a in info.attributes if a.key == key), ())
        also = f" (表头也可以写作{'、'.join(f'「{x}」' for x in aliases[:3])})" if aliases else ""
        rows.append(_row("field", key, f"名册中的「{label}」", _affects(labels, default),
                         f"在名册中加一列「{label}」, 逐条填写{also}", key, n_rules=len(labels), n_records=n_empty,
                         short=f"「{label}」"))
    return rows


def _other_rows(info: RunInfo, by_token: Mapping[str, list[str]], facilities: pd.DataFrame | None) -> list[dict]:
    rows = []
    if facilities is not None and "type_is_estimate" in facilities.columns:
        n = int(facilities["type_is_estimate"].fillna(False).astype(bool).sum())
        if n:
            rows.append(_row("type_inferred", "type", f"设施类型: {n} 个设施的类型是按名称推断的",
                             "按类型统计的数量和覆盖率 (例如哪些是公办园) 都依赖推断", "在名册中填写每个设施的类型",
                             "type", n_records=float(n)))
    if "coverage_table" in by_token:
        labels = by_token["coverage_table"]
        rows.append(_row("coverage", "coverage_table", f"{info.circle_threshold_min} 分钟覆盖率计算结果",
                         _affects(labels, "—"), f"在配置的 travel.thresholds_min 中加入 {info.circle_threshold_min}",
                         "travel.thresholds_min", n_rules=len(labels)))
    if info.group in by_token:
        labels = by_token[info.group]
        rows.append(_row("group", info.group, f"部分街镇的{info.group_name_zh}人数", _affects(labels, "—"),
                         "检查人口数据是否覆盖全部街镇", "population", n_rules=len(labels)))
    return rows


def data_gaps(info: RunInfo, *, rule_status: pd.DataFrame | None = None, facilities: pd.DataFrame | None = None,
              year: int | None = None) -> pd.DataFrame:
    """The data the run lacks, one row per gap, most consequential first.

    Parameters
    ----------
    info
        The run's :class:`~svcov.outputs.context.RunInfo` (travel model, estimated population, names).
    rule_status
        The rule status table (contract columns ``label_zh``, ``year``, ``status``, ``missing_fields``).
    facilities
        The facility frame (``type``, ``complete_register``, ``source_label``, ``type_is_estimate``, fields);
        only the district's own facilities count.
    year
        Year of the rule rows read (default: the table's last year).

    Returns
    -------
    DataFrame
        :data:`DATA_GAP_COLUMNS`: ``gap_no`` (1, 2, …), ``kind`` (``network``, ``population``, ``register``,
        ``complete_register``, ``type_inferred``, ``field``, ``coverage``, ``group``), ``item`` (type key, field
        key, …), ``what_zh``, ``affects_zh``, ``n_rules`` (rules of the year that are 数据不足 for it),
        ``n_records`` (records concerned; NaN if not counted), ``fix_zh``, ``setting`` (configuration key or
        register column).
    """
    own = facilities
    if facilities is not None and "jiezhen_code" in facilities.columns:
        own = facilities[facilities["jiezhen_code"].notna() & (facilities["jiezhen_code"] != DISTRICT_CODE)]
    by_token = _rules_by_token(rule_status, year)
    rows = (_context_rows(info) + _register_rows(info, by_token, own) + _field_rows(info, by_token, own)
            + _other_rows(info, by_token, own))
    frame = pd.DataFrame(rows, columns=[c for c in DATA_GAP_COLUMNS if c != "gap_no"])
    if len(frame):
        frame = frame.assign(_k=frame["kind"].map(_ORDER)).sort_values(["_k", "n_rules"],
                                                                             ascending=[True, False], kind="stable")
        frame = frame.drop(columns="_k")
    frame.insert(0, "gap_no", range(1, len(frame) + 1))
    frame["n_rules"] = frame["n_rules"].astype("int64")
    return frame.reset_index(drop=True)


def gap_numbers(gaps: pd.DataFrame | None) -> dict[str, int]:
    """``missing_fields`` token → number of its row in ``gaps`` (for 「见附录第 3 条」)."""
    if gaps is None or gaps.empty:
        return {}
    out = {}
    for no, kind, item in zip(gaps["gap_no"], gaps["kind"], gaps["item"]):
        token = f"register:{item}" if kind == "register" else str(item)
        out[token] = int(no)
    return out


def write_data_gaps(path, info: RunInfo, *, rule_status: pd.DataFrame | None = None,
                    facilities: pd.DataFrame | None = None, year: int | None = None, notes=()) -> pd.DataFrame:
    """Compute :func:`data_gaps` and write it as ``<path>.csv`` / ``.xlsx`` (sheet 「待补充数据」, Chinese headers);
    returns the table."""
    from .tables import write_table

    gaps = data_gaps(info, rule_status=rule_status, facilities=facilities, year=year)
    write_table(gaps, path, labels=DATA_GAP_LABELS_ZH, sheet_name="待补充数据", notes=list(notes))
    return gaps
