"""Words several stages share, defined once: every module imports them from here instead of spelling the string.

Nothing here imports another svcov module, so any layer may import it. What a word *means* to a stage (how a
status is judged, how a model is solved) stays in that stage; this module only fixes the spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DISTRICT_CODE", "DISTRICT_NAME_ZH", "PASS", "FAIL", "INSUFFICIENT", "STATUSES", "SCOPES", "SCOPE_ZH",
           "SITING_MODELS", "MODEL_NAMES_ZH", "SITING_METHODS", "SITING_PHASINGS", "SOLVE_STATUS_ZH", "SITING_ACTIONS",
           "CANDIDATE_KINDS", "CandidateKind",
           "CANDIDATE_SOURCE_NAMES_ZH", "COORD_SYSTEMS", "normalise_coord_system", "TRAVEL_MODES",
           "TRAVEL_MODE_ZH", "NETWORK", "STRAIGHT_LINE", "ATTRIBUTE_KINDS", "CAPACITY", "YEAR_ATTRIBUTES",
           "YEAR_LABELS_ZH", "RESERVED_FACILITY_COLUMNS", "RESERVED_DEMAND_COLUMNS", "BASEMAPS", "POPULATION_KINDS",
           "STAGES", "STAGE_NAMES_ZH", "BOUNDARY_OVERLAP_CHOICES", "PLACE_KINDS_ZH", "DEFAULT_PLACE_KINDS",
           "TIE_BREAK_RULE_ZH"]

# --- units of the tables ---------------------------------------------------------------------------------------
#: ``jiezhen_code`` of the district rows of the coverage, rule and siting tables.
DISTRICT_CODE = "全区"
#: ``jiezhen_name`` of a district row when no district name is given.
DISTRICT_NAME_ZH = "全区"

# --- rule statuses ---------------------------------------------------------------------------------------------
PASS, FAIL, INSUFFICIENT = "达标", "未达标", "数据不足"
#: The three statuses of the rule table, best first (the order of legends and counts).
STATUSES = (PASS, FAIL, INSUFFICIENT)

#: Scopes of a rule: each 街镇, or the district as a whole; and how each reads in the rule table.
SCOPES = ("jiezhen", "district")
SCOPE_ZH: Mapping[str, str] = MappingProxyType({"jiezhen": "街镇", "district": "全区"})

# --- site selection --------------------------------------------------------------------------------------------
#: Location models of :mod:`svcov.siting`, with their names in documents.
MODEL_NAMES_ZH: Mapping[str, str] = MappingProxyType({
    "mclp": "最大覆盖模型 (MCLP)",
    "lscp": "集合覆盖模型 (LSCP)",
    "p_median": "p-中位模型 (p-median)",
    "capacitated": "容量约束覆盖模型",
    "p_center": "p-中心模型 (p-center, 最远者最近)",
})
SITING_MODELS = tuple(MODEL_NAMES_ZH)
#: How a phased coverage plan orders its sites (``siting.phasing``): the most people covered over the years, or
#: the worst-served 街镇 first (lexicographic: the fewest 街镇-years left at 0 %, then coverage).
SITING_PHASINGS: Mapping[str, str] = MappingProxyType({
    "efficiency": "效率优先 (各年覆盖人数合计最多)",
    "equity": "公平优先 (先让覆盖率为 0 的街镇尽早有覆盖, 再覆盖最多)",
})
#: How a solve ended (``SolveResult.status``), in words for tables and documents.
SOLVE_STATUS_ZH: Mapping[str, str] = MappingProxyType({
    "optimal": "已证明最优 (差距不超过容差)",
    "time_limit": "达到时间上限, 为可行解 (差距见「相对差距」)",
    "heuristic": "启发式解 (差距相对于界)",
})
#: How the siting stage chooses between equally good candidates (:mod:`svcov.siting.ties`), as memos quote it;
#: ``{travel}`` is the travel profile's name (「步行」).
TIE_BREAK_RULE_ZH = ("新增覆盖人数相同时, 本工具按固定规则取舍: 先取有名称的地点 (小区、社区中心或街镇提供的用房), 而不是没有"
                     "名称的网格点; 再取服务范围内人口平均{travel}时间更短的一处; 仍相同时按候选点的顺序")
#: How a siting model is solved: exactly, by the greedy + swap heuristic, or exactly unless too large.
SITING_METHODS = ("mip", "heuristic", "auto")


class CandidateKind:
    """One kind of candidate source: the keys its config entry may have, those it must have, and its defaults."""

    def __init__(self, name_zh: str, keys: frozenset[str], required: tuple[str, ...] = (),
                 defaults: Mapping[str, object] | None = None):
        self.name_zh = name_zh
        self.keys = keys
        self.required = required
        self.defaults = MappingProxyType(dict(defaults or {}))


#: Kinds of candidate source, in order of preference when two candidates are too close.
CANDIDATE_KINDS: Mapping[str, CandidateKind] = MappingProxyType({
    "file": CandidateKind("候选点文件", frozenset({"kind", "path", "label_zh", "coord_system", "columns", "sheet"}),
                          ("path",)),
    "pois": CandidateKind("兴趣点 (POI)", frozenset({"kind", "path", "label_zh", "fclass", "fclass_column",
                                                   "name_column"}), ("path",),
                          {"fclass_column": "fclass", "name_column": "name"}),
    "clusters": CandidateKind("需求聚类中心", frozenset({"kind", "n_clusters", "label_zh", "seed"}),
                              defaults={"n_clusters": 50, "seed": 0}),
    "grid": CandidateKind("规则网格点", frozenset({"kind", "spacing_m", "label_zh"}), defaults={"spacing_m": 1000.0}),
    "facilities": CandidateKind("现有设施 (改建)", frozenset({"kind", "types", "where", "exclude_name_pattern",
                                                        "label_zh"}), ("types",)),
})
#: What a leg of the plan does with its sites: build new ones on candidates, or convert existing facilities
#: (e.g. open a nursery class, 托班, in a public kindergarten); with the words of tables, memos and the map.
SITING_ACTIONS: Mapping[str, str] = MappingProxyType({"new": "新建", "conversion": "改建现有设施"})
CANDIDATE_SOURCE_NAMES_ZH: Mapping[str, str] = MappingProxyType({k: v.name_zh for k, v in CANDIDATE_KINDS.items()})

# --- coordinates and travel ------------------------------------------------------------------------------------
#: Accepted names of each coordinate system (lower case), as users write them in configs and files.
COORD_SYSTEMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "wgs84": ("wgs84", "wgs-84", "wgs 84", "epsg:4326", "4326", "gps", "osm"),
    "gcj02": ("gcj02", "gcj-02", "gcj", "amap", "gaode", "高德", "tencent", "腾讯", "火星坐标", "国测局"),
    "bd09": ("bd09", "bd-09", "bd09ll", "baidu", "百度"),
})


def normalise_coord_system(name: object) -> str | None:
    """Return ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` for any accepted spelling, else ``None``."""
    key = str(name).strip().lower()
    for canonical, aliases in COORD_SYSTEMS.items():
        if key in aliases:
            return canonical
    return None


#: ``travel_mode`` of the tables: along the road network, or the labelled straight-line estimate.
NETWORK, STRAIGHT_LINE = "network", "straight_line"
TRAVEL_MODES = (NETWORK, STRAIGHT_LINE)
TRAVEL_MODE_ZH: Mapping[str, str] = MappingProxyType({NETWORK: "沿路网计算的出行时间",
                                                      STRAIGHT_LINE: "直线距离估算 (未加载路网)"})

# --- facilities and population ---------------------------------------------------------------------------------
#: Kinds of facility attribute a type file may declare (``attributes:``): a number, or a yes/no flag.
ATTRIBUTE_KINDS = ("number", "flag")
#: The attribute key that holds a facility's capacity (its unit word comes from the type file: 托位, 床位, 餐位...).
CAPACITY = "capacity"
#: Attributes every service has, whatever its type file declares, and how they read in Chinese.
YEAR_ATTRIBUTES = ("opened_year", "closed_year")
YEAR_LABELS_ZH: Mapping[str, str] = MappingProxyType({"opened_year": "开办年份", "closed_year": "关闭年份"})
#: Columns of the facility frame that no declared attribute may take.
RESERVED_FACILITY_COLUMNS = ("facility_id", "name", "type", "type_name_zh", "type_source", "type_is_estimate",
                             "opened_year", "closed_year", "address", "jiezhen_code", "jiezhen_name",
                             "jiezhen_given", "source_label", "source_file", "source_row", "complete_register",
                             "outside_district_m", "lon_wgs84", "lat_wgs84", "longitude", "latitude", "geometry")
#: Columns of the demand frame that no configured population group may take as its key.
RESERVED_DEMAND_COLUMNS = ("cell_id", "jiezhen_code", "jiezhen_name", "is_estimate", "cell_size_m", "geometry",
                           "year", "group", "profile", "longitude", "latitude")

#: Kinds of population source.
POPULATION_KINDS = ("estimate", "raster", "vector", "points")

# --- boundaries ------------------------------------------------------------------------------------------------
#: What to do when 街镇 overlap or one lies inside another (``boundaries.overlaps``).
BOUNDARY_OVERLAP_CHOICES = ("error", "resolve")

# --- the stages of a run (svcov run --skip / --only) -----------------------------------------------------------
STAGE_NAMES_ZH: Mapping[str, str] = MappingProxyType({"access": "可达性与覆盖率", "rules": "布局规则检查",
                                                      "siting": "选址", "documents": "地图、选址说明和报告"})
STAGES = tuple(STAGE_NAMES_ZH)

# --- outputs ---------------------------------------------------------------------------------------------------
#: Background maps of map.html (besides the URL template of any XYZ/WMTS tile service).
BASEMAPS = ("none", "osm", "tianditu")
#: Chinese names of the kinds of place (OpenStreetMap ``fclass``) drawn on the map for orientation.
PLACE_KINDS_ZH: Mapping[str, str] = MappingProxyType({
    "residential": "住宅小区", "community_centre": "社区中心", "school": "学校", "kindergarten": "幼儿园",
    "park": "公园", "hospital": "医院", "clinic": "诊所", "doctors": "诊所", "university": "大学",
    "college": "学院", "playground": "游乐场"})
#: Kinds drawn when the configuration names none (kindergartens are left to the facility layers).
DEFAULT_PLACE_KINDS = ("residential", "community_centre", "school", "park", "hospital", "clinic", "doctors",
                       "university", "college")
