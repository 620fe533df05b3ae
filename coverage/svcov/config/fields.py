"""Helpers that read one value of a configuration mapping and report what is wrong with it, with its line."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProblemList
from ..yamlio import LineDict, line_of

__all__ = ["as_mapping", "resolve_path", "existing_path", "number", "boolean", "metric_crs_problem"]


def as_mapping(raw: dict, key: str, p: ProblemList, optional: bool = False) -> dict:
    value = raw.get(key)
    if value is None:
        return LineDict() if optional or key not in raw else LineDict()
    if not isinstance(value, dict):
        p.add(f"「{key}」应是映射 (键: 值)。", f"{key!r} must be a mapping", row=line_of(raw, key), column=key,
              value=value)
        return LineDict()
    return value


def resolve_path(value: object, base: Path) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else (base / path).resolve()


def existing_path(m: dict, key: str, base: Path, p: ProblemList, where: str) -> Path | None:
    if key not in m or m[key] in (None, ""):
        return None
    path = resolve_path(m[key], base)
    if not path.exists():
        p.add(f"{where}: 文件不存在 {path}。请检查路径 (相对路径以配置文件所在目录为准)。",
              f"{where}: file not found {path}; relative paths are relative to the config file",
              row=line_of(m, key), column=key, value=str(m[key]))
    return path


def number(m: dict, key: str, default: float, p: ProblemList, where: str, *, lo: float = 0.0,
            hi: float = float("inf"), lo_open: bool = True) -> float:
    if key not in m:
        return default
    value = m[key]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and (((value <= lo) if lo_open else (value < lo)) or value > hi):
        ok = False
    if not ok:
        bound = f"({'>' if lo_open else '≥'} {lo}" + (f", ≤ {hi})" if hi != float("inf") else ")")
        p.add(f"{where}.{key} 应是数字 {bound}。", f"{where}.{key} must be a number {bound}",
              row=line_of(m, key), column=key, value=value)
        return default
    return float(value)


def boolean(m: dict, key: str, default: bool, p: ProblemList, where: str) -> bool:
    value = m.get(key, default)
    if not isinstance(value, bool):
        p.add(f"{where}.{key} 应是 true 或 false。", f"{where}.{key} must be true or false",
              row=line_of(m, key), column=key, value=value)
        return default
    return value


def metric_crs_problem(value: object) -> tuple[str, str] | None:
    """Why ``value`` cannot be a run's metric CRS (``(zh, en)``), or ``None``: it must be ``auto`` or a projected CRS
    in metres that keeps distances (UTM, Gauss-Krüger; not Web Mercator, whose metres are 17 % short at 31°N)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if value == "auto":
        return None
    hint_zh = "请填 auto (按边界自动选 UTM 带), 或米制投影坐标系, 例如 EPSG:32651 (UTM 51N) 或 EPSG:4549 (CGCS2000 高斯-克吕格 120°E)"
    hint_en = "use auto (the UTM zone of the boundaries) or a projected CRS in metres, e.g. EPSG:32651 or EPSG:4549"
    try:
        crs = CRS.from_user_input(str(value))
    except CRSError:
        return f"无法识别的坐标系。{hint_zh}。", f"unknown coordinate reference system; {hint_en}"
    units = {a.unit_name for a in crs.axis_info}
    if not crs.is_projected or units != {"metre"}:
        return (f"{crs.name} 不是以米为单位的投影坐标系 (经纬度坐标不能量距离)。{hint_zh}。",
                f"{crs.name} is not a projected CRS in metres (degrees cannot measure distance); {hint_en}")
    method = crs.coordinate_operation.method_name if crs.coordinate_operation else ""
    if "Mercator" in method and "Transverse" not in method:
        return (f"{crs.name} 是墨卡托投影, 在中国的纬度上距离偏大 6%-56% (上海约 17%)。{hint_zh}。",
                f"{crs.name} is a Mercator projection: distances are 6-56 % too long in China (17 % at Shanghai); "
                f"{hint_en}")
    return None
