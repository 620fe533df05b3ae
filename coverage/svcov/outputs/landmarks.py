"""How documents name a proposed site: by itself when it is a named place (a compound, a community centre, a room
the 街镇 offered), otherwise by the nearest named place — with its 街镇 when that is another one — the direction and
the straight-line distance (「「叶榭镇中心小学」东南约 600 米」), never by a grid code such as 「网格点 r6c29」.

The named places are the map's context layer (:func:`svcov.data.places.load_places`: ``name``, ``kind``,
``kind_zh``, points). Distances are straight lines between the points (a way to find the place, not a travel time).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .context import fmt_distance

__all__ = ["Landmark", "site_landmarks", "is_anonymous", "direction_zh", "NEAR_M", "SAME_JIEZHEN_M"]

#: A named place closer than this is 「旁」 (next to the site).
BESIDE_M = 150.0
#: Places this close are listed as 「附近的有名称地点」.
NEAR_M = 1500.0
#: A place of the site's own 街镇 this close is preferred to a nearer one across the border.
SAME_JIEZHEN_M = 3000.0
_RESIDENTIAL = "residential"
_ANONYMOUS_ID = re.compile(r"^(grid\d*-|cluster-)")
_DIRECTIONS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


@dataclass(frozen=True)
class Landmark:
    """A site's name in documents and the place it is named after.

    Attributes
    ----------
    label
        The site as documents name it: the candidate's own name, or 「「X」东南约 600 米」 (with 「(Y镇)」 after the
        place when it lies in another 街镇).
    named
        The candidate is a named place itself.
    place, place_kind, place_jiezhen, distance_m, direction_zh
        The place the label refers to (``None``/NaN when there is none): its name, kind (「住宅小区」), 街镇,
        straight-line distance from the site and the site's direction from it.
    nearby
        Named places within :data:`NEAR_M`: ``(name, kind_zh, jiezhen_name, distance_m)``, nearest first.
    n_compounds
        Residential compounds among the named places of the site's 街镇 (``None`` when places have no kinds).
    site_jiezhen
        The site's own 街镇.
    """

    label: str
    named: bool
    place: str | None = None
    place_kind: str = ""
    place_jiezhen: str | None = None
    distance_m: float = float("nan")
    direction_zh: str = ""
    nearby: tuple[tuple[str, str, str, float], ...] = ()
    n_compounds: int | None = None
    site_jiezhen: str = ""

    @property
    def other_jiezhen(self) -> bool:
        """The place named lies in another 街镇 than the site."""
        return bool(self.place and self.place_jiezhen and self.place_jiezhen != self.site_jiezhen)


def is_anonymous(site: pd.Series) -> bool:
    """A candidate without a name of its own: a grid point, a demand-cluster centre or an unnamed POI."""
    cid, name = str(site.get("candidate_id", "")), str(site.get("candidate_name", ""))
    return bool(_ANONYMOUS_ID.match(cid)) or name.startswith("未命名") or " 网格点 " in name


def direction_zh(dx: float, dy: float) -> str:
    """The compass direction of a displacement (east = +x, north = +y): 「东」, 「东北」, …."""
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return _DIRECTIONS[int(((angle + 22.5) % 360) // 45)]


def _places_with_jiezhen(places: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    name_col = "name" if "name" in boundaries.columns else "jiezhen_name"
    joined = gpd.sjoin(places.to_crs(boundaries.crs), boundaries[[name_col, "geometry"]].rename(
        columns={name_col: "_jz"}), how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined.assign(_jz=joined["_jz"].fillna("").astype(str))


@dataclass(frozen=True)
class _Places:
    """The named places as arrays (read once for all the sites)."""

    name: np.ndarray
    kind_zh: np.ndarray
    jiezhen: np.ndarray
    x: np.ndarray
    y: np.ndarray
    compounds: dict[str, int] | None

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame) -> _Places:
        text = (lambda col: frame[col].fillna("").astype(str).to_numpy() if col in frame.columns
                else np.full(len(frame), "", dtype=object))
        kind, jz = text("kind"), text("_jz")
        compounds = None
        if len(frame) and (kind != "").any():
            compounds = pd.Series(jz[kind == _RESIDENTIAL]).value_counts().to_dict()
        return cls(text("name"), text("kind_zh"), jz, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(),
                   compounds)


def _one(site: pd.Series, point, places: _Places) -> Landmark:
    jz = str(site.get("jiezhen_name", ""))
    n_comp = None if places.compounds is None else int(places.compounds.get(jz, 0))
    named = not is_anonymous(site)
    if not len(places.name):
        return Landmark(str(site["candidate_name"]) if named else f"{jz}的规划网格点", named, n_compounds=n_comp,
                        site_jiezhen=jz)
    dx, dy = places.x - point.x, places.y - point.y
    dist = np.hypot(dx, dy)
    order = np.argsort(dist, kind="stable")
    own = name = str(site["candidate_name"])
    close = order[(dist[order] <= NEAR_M) & (places.name[order] != own)][:3]
    nearby = tuple((str(places.name[k]), str(places.kind_zh[k]), str(places.jiezhen[k]), float(dist[k]))
                   for k in close)
    same = order[(places.jiezhen[order] == jz) & (dist[order] <= SAME_JIEZHEN_M)]
    k = int(same[0]) if len(same) else int(order[0])
    place, place_jz, d = str(places.name[k]), str(places.jiezhen[k]), float(dist[k])
    where = direction_zh(-dx[k], -dy[k])
    if not named:
        across = f" ({place_jz})" if place_jz and place_jz != jz else ""
        name = f"「{place}」旁" if d < BESIDE_M else f"「{place}」{across}{where}{fmt_distance(d)}"
    return Landmark(name, named, place, str(places.kind_zh[k]), place_jz, d, where, nearby, n_comp,
                    site_jiezhen=jz)


def site_landmarks(sites: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None,
                   boundaries: gpd.GeoDataFrame) -> dict[str, Landmark]:
    """``site_id`` → :class:`Landmark` of every proposed site.

    Parameters
    ----------
    sites
        Proposed sites (contract columns ``site_id``, ``candidate_id``, ``candidate_name``, ``jiezhen_name``,
        points in a metric CRS).
    places
        Named places (``name``, ``kind``, ``kind_zh``, points), or ``None``.
    boundaries
        The 街镇 (``name`` or ``jiezhen_name``, polygons), to tell each place's 街镇.
    """
    if sites is None or len(sites) == 0:
        return {}
    crs = boundaries.crs
    points = sites.geometry.to_crs(crs) if sites.crs is not None else sites.geometry
    frame = _places_with_jiezhen(places, boundaries) if places is not None and len(places) else \
        gpd.GeoDataFrame({"name": [], "kind": [], "kind_zh": [], "_jz": []}, geometry=[], crs=crs)
    table = _Places.of(frame)
    return {str(s["site_id"]): _one(s, p, table) for (_, s), p in zip(sites.iterrows(), points)}
