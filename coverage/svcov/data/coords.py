"""Chinese map coordinate systems: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu) to WGS-84 and back.

Coordinates picked on Amap or Tencent maps are GCJ-02 ("火星坐标"), shifted from WGS-84 by a published
obfuscation formula (roughly 300-700 m in Shanghai); Baidu adds a second shift (BD-09). The forward formulas are
the widely used public ones (Krasovsky semi-major axis 6,378,245 m; as in github wandergis/coordtransform and
googollee/eviltransform). GCJ-02 → WGS-84 and BD-09 → GCJ-02 are inverted here by fixed-point iteration to
below 1e-9 degrees (about 0.1 mm), instead of the usual one-step approximations (errors of 0.1 m to 2 m).

All functions are vectorised over NumPy arrays and take **longitude first**.
Points outside mainland China are returned unchanged, as every implementation does.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError
from ..vocabulary import COORD_SYSTEMS, normalise_coord_system

__all__ = ["COORD_SYSTEMS", "to_wgs84", "wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09",
           "bd09_to_gcj02", "bd09_to_wgs84", "wgs84_to_bd09", "normalise_coord_system"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m), as in the GCJ-02 formula
_EE = 0.00669342162296594323  # first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02 (degrees)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon: np.ndarray, lat: np.ndarray, start: tuple[np.ndarray, np.ndarray], tol_deg: float,
            max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``start`` (the shifts are smooth and small)."""
    xlon, xlat = start
    for _ in range(max_iter):
        flon, flat = forward(xlon, xlat)
        elon, elat = flon - lon, flat - lat
        xlon, xlat = xlon - elon, xlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return xlon, xlat


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 (degrees), inverted by fixed-point iteration to ``tol_deg``."""
    lon, lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat, (lon.copy(), lat.copy()), tol_deg, max_iter)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (degrees)."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 (degrees): the published approximate inverse (error ~1e-6 degrees, 0.1 m), refined by
    fixed-point iteration until :func:`gcj02_to_bd09` gives the input back to ``tol_deg``."""
    lon, lat = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat), tol_deg, max_iter)


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS-84 (degrees)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → BD-09 (degrees)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def to_wgs84(lon, lat, coord_system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitudes/latitudes in ``coord_system`` (any accepted spelling) to WGS-84.

    Raises
    ------
    ArgumentError
        If ``coord_system`` is not WGS-84, GCJ-02 or BD-09 (also a ``ValueError``).
    """
    system = normalise_coord_system(coord_system)
    if system == "wgs84":
        return _arrays(lon, lat)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ArgumentError(f"未知的坐标系 {coord_system!r}: 可用 wgs84、gcj02 (高德/腾讯) 或 bd09 (百度) (unknown coordinate "
                        f"system {coord_system!r}: use wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu))")
