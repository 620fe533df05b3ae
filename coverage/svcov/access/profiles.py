"""Travel profiles: one travel model per configured way of getting about (``travel.profiles``: e.g. 一般步行
4.0 km/h, 推婴儿车 3.2, 老人 3.0, 骑行 12 with walking pace on footways), all computed in the same run.

Each profile is a :class:`~svcov.access.engine.TravelModel` with its own speed and, on a network, its own time per
road edge (:func:`svcov.network.build.profile_edge_times`: ``speed_by_highway`` gives other speeds on some OSM
``highway`` classes). The network models share one snapping index, so points snapped once serve every profile.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from .. import settings
from ..network.build import RoadNetwork, profile_edge_times
from .engine import NetworkTravelModel, StraightLineTravelModel, TravelModel

__all__ = ["build_travel_models", "profiles_of"]

log = logging.getLogger(__name__)


def profiles_of(travel: Any) -> list:
    """The profiles of ``travel`` (a :class:`svcov.config.TravelConfig`, or anything with ``walk_speed_kph``: one
    walking profile), the primary first."""
    if hasattr(travel, "profile_list"):
        return list(travel.profile_list())
    speed = getattr(travel, "walk_speed_kph", settings.walk_speed_kph)
    return [SimpleNamespace(key="walk", name_zh="步行", speed_kph=speed, speed_by_highway={})]


def _one_model(crs: Any, travel: Any, network: RoadNetwork | None, profile, snap_index=None) -> TravelModel:
    names = {"profile": profile.key, "profile_name_zh": profile.name_zh}
    if network is None:
        return StraightLineTravelModel(crs, walk_speed_kph=profile.speed_kph,
                                       circuity_factor=getattr(travel, "circuity_factor", settings.circuity_factor),
                                       **names)
    by_highway = dict(getattr(profile, "speed_by_highway", {}) or {})
    times = profile_edge_times(network, profile.speed_kph, by_highway) if by_highway else None
    return NetworkTravelModel(network, walk_speed_kph=profile.speed_kph, edge_time_s=times, snap_index=snap_index,
                              snap_max_m=getattr(travel, "snap_max_m", settings.snap_max_m), **names)


def build_travel_models(crs: Any, travel: Any = None, network: RoadNetwork | None = None) -> dict[str, TravelModel]:
    """One travel model per profile of ``travel`` (the primary first), on ``network`` if given, else the
    straight-line fallback (every model then says it is an estimate).

    Parameters
    ----------
    crs
        The run's metric CRS (used by the fallback; a network keeps its own).
    travel
        A :class:`svcov.config.TravelConfig` (its ``profiles``, ``circuity_factor``, ``snap_max_m``).
    network
        The road network, or None.

    Returns
    -------
    dict
        Profile key → :class:`~svcov.access.engine.TravelModel`, the primary first.
    """
    models: dict[str, TravelModel] = {}
    index = None
    for profile in profiles_of(travel):
        model = _one_model(crs, travel, network, profile, snap_index=index)
        index = getattr(model, "index", None)
        models[profile.key] = model
    if network is None:
        log.warning("no road network: travel times are straight-line distance × %.2f (an estimate)",
                    getattr(travel, "circuity_factor", settings.circuity_factor))
    else:
        log.info("travel model: %s; profiles: %s", network.summary_zh().rstrip("。"),
                 ", ".join(f"{m.profile_name_zh} {m.walk_speed_kph:g} km/h" for m in models.values()))
    return models
