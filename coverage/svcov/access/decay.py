"""Decay-weighted accessibility: the enhanced two-step floating catchment (E2SFCA, Luo & Qi 2009) and the
gravity-type measures of PySAL ``access`` (weighted catchment / gravity potential, Hansen 1959), with the weight
functions of ``access.weights``: step (E2SFCA's zones), gaussian and gravity (power) decay.

With weights ``W(t)`` (1 near, falling with the walking time ``t``; 0 beyond the catchment):

- E2SFCA: each facility's ratio ``R_j = S_j / Σ_i D_i W(t_ij)`` (capacity per weighted person in its catchment), then
  each demand point's ``A_i = Σ_j R_j W(t_ij)`` (capacity per person). With ``W = 1`` inside the threshold this is the
  step 2SFCA of :func:`svcov.access.summary.two_step_fca`.
- weighted catchment (gravity potential): ``A_i = Σ_j S_j W(t_ij)`` — supply within reach, no competition.

Inputs are the long-form pairs of ``TravelModel.catchments`` (``source_pos``, ``target_pos``, ``time_s``); the
functions are plain numpy and tested against hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import ConfigError, Problem

__all__ = ["step_weights", "gaussian_weights", "gravity_weights", "decay_function", "enhanced_two_step_fca",
           "weighted_catchment", "decay_access", "DECAY_KINDS"]

#: Kinds of decay and their parameters (minutes), as in PySAL access.weights.
DECAY_KINDS = {"step": ("steps_min",), "gaussian": ("sigma_min", "max_min"), "gravity": ("scale_min", "alpha",
                                                                                        "min_min", "max_min")}

Weight = Callable[[np.ndarray], np.ndarray]


def _bad(message_zh: str, message_en: str, value=None) -> ConfigError:
    return ConfigError("decay", [Problem("decay", message_zh, message_en, value=value)])


def step_weights(steps_min: Mapping[float, float]) -> Weight:
    """E2SFCA zones: ``{5: 1.0, 10: 0.68, 15: 0.22}`` gives 1 up to 5 minutes, 0.68 up to 10, 0.22 up to 15, 0
    beyond (the weights of Luo & Qi 2009 for a 30-minute catchment scaled to minutes are the user's choice)."""
    if not steps_min or any(w < 0 for w in steps_min.values()) or any(m <= 0 for m in steps_min):
        raise _bad("step 衰减需要 {分钟: 权重}, 分钟 > 0, 权重 ≥ 0。", "step decay needs {minutes: weight}", steps_min)
    edges = np.array(sorted(steps_min), dtype=float) * 60.0
    weights = np.array([steps_min[k] for k in sorted(steps_min)], dtype=float)

    def weight(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        pos = np.searchsorted(edges, t, side="left")
        return np.where(pos < len(edges), weights[np.minimum(pos, len(edges) - 1)], 0.0)

    return weight


def gaussian_weights(sigma_min: float, max_min: float | None = None) -> Weight:
    """``exp(-t² / (2σ²))`` (PySAL ``access.weights.gaussian``), 0 beyond ``max_min`` if given."""
    if not sigma_min > 0:
        raise _bad("gaussian 衰减的 sigma_min 应大于 0。", "gaussian decay needs sigma_min > 0", sigma_min)
    s = sigma_min * 60.0

    def weight(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        w = np.exp(-(t ** 2) / (2 * s * s))
        return np.where(t <= max_min * 60.0, w, 0.0) if max_min is not None else w

    return weight


def gravity_weights(scale_min: float, alpha: float, min_min: float = 0.0, max_min: float | None = None) -> Weight:
    """``(t / scale)^alpha`` for ``t > min`` (``alpha < 0``: the power decay of PySAL ``access.weights.gravity``);
    times below ``min_min`` weigh as at ``min_min`` (1 if it is 0, avoiding the pole at 0); 0 beyond ``max_min``."""
    if not scale_min > 0 or not alpha < 0 or min_min < 0:
        raise _bad("gravity 衰减需要 scale_min > 0、alpha < 0、min_min ≥ 0。", "gravity decay needs scale > 0, alpha < 0",
                   (scale_min, alpha, min_min))
    scale, low = scale_min * 60.0, min_min * 60.0

    def weight(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        at_low = (low / scale) ** alpha if low > 0 else 1.0
        with np.errstate(divide="ignore"):
            w = np.where(t > low, (np.maximum(t, 1e-300) / scale) ** alpha, at_low)
        return np.where(t <= max_min * 60.0, w, 0.0) if max_min is not None else w

    return weight


def decay_function(spec: Mapping) -> Weight:
    """A weight function from a mapping ``{kind: step|gaussian|gravity, ...parameters in minutes}``."""
    kind = str(spec.get("kind", ""))
    if kind not in DECAY_KINDS:
        raise _bad(f"衰减类型应是 {', '.join(DECAY_KINDS)} 之一。", f"decay kind must be one of {list(DECAY_KINDS)}", kind)
    params = {k: v for k, v in spec.items() if k != "kind"}
    if kind == "step":
        return step_weights({float(k): float(v) for k, v in dict(params.get("steps_min") or {}).items()})
    if kind == "gaussian":
        return gaussian_weights(float(params.get("sigma_min", math.nan)), params.get("max_min"))
    return gravity_weights(float(params.get("scale_min", math.nan)), float(params.get("alpha", math.nan)),
                           float(params.get("min_min", 0.0)), params.get("max_min"))


def _arrays(pairs: pd.DataFrame, weight: Weight):
    src = pairs["source_pos"].to_numpy(dtype=np.int64)
    tgt = pairs["target_pos"].to_numpy(dtype=np.int64)
    w = weight(pairs["time_s"].to_numpy(dtype=float))
    ok = np.isfinite(w) & (w > 0)
    return src[ok], tgt[ok], w[ok]


def enhanced_two_step_fca(pairs: pd.DataFrame, supply: np.ndarray, demand: np.ndarray, weight: Weight
                          ) -> tuple[np.ndarray, np.ndarray]:
    """E2SFCA (see the module docstring).

    Parameters
    ----------
    pairs
        ``source_pos`` (facility), ``target_pos`` (demand point), ``time_s``: the pairs within the catchment.
    supply
        Places (or any supply) of every facility; NaN = unknown (left out: the result is then a lower bound).
    demand
        Children (or any demand) of every demand point.
    weight
        Decay function of the time in seconds (:func:`step_weights`, :func:`gaussian_weights`,
        :func:`gravity_weights`).

    Returns
    -------
    (A, R)
        ``A`` per demand point (supply per unit of demand), ``R`` per facility (NaN without demand in reach or with
        unknown supply).
    """
    supply, demand = np.asarray(supply, dtype=float), np.asarray(demand, dtype=float)
    src, tgt, w = _arrays(pairs, weight)
    known = np.isfinite(supply)
    keep = known[src]
    src, tgt, w = src[keep], tgt[keep], w[keep]
    load = np.bincount(src, weights=w * demand[tgt], minlength=len(supply))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(known & (load > 0), supply / load, np.nan)
    contrib = ratio[src] * w
    ok = np.isfinite(contrib)
    return np.bincount(tgt[ok], weights=contrib[ok], minlength=len(demand)), ratio


def weighted_catchment(pairs: pd.DataFrame, supply: np.ndarray, n_demand: int, weight: Weight) -> np.ndarray:
    """Gravity potential (PySAL ``weighted_catchment``): ``A_i = Σ_j S_j W(t_ij)`` per demand point; facilities
    with unknown supply are left out."""
    supply = np.asarray(supply, dtype=float)
    src, tgt, w = _arrays(pairs, weight)
    keep = np.isfinite(supply[src])
    return np.bincount(tgt[keep], weights=supply[src[keep]] * w[keep], minlength=int(n_demand))


def decay_access(model, facilities, demand, weight: Weight, max_time_s: float, *,
                 weight_column: str, capacity_column: str = "capacity",
                 competition: bool = True) -> pd.Series:
    """E2SFCA (``competition=True``) or the weighted catchment of ``facilities`` for every demand point, with times
    from a travel model (``catchments``): the one-call form for notebooks.

    Returns
    -------
    Series
        Index = ``demand.index``: capacity per person of ``weight_column`` (the served group, e.g.
        ``children_0_3``; E2SFCA) or weighted capacity within reach.
    """
    pairs = model.catchments(facilities, demand, max_time_s)
    supply = pd.to_numeric(facilities[capacity_column], errors="coerce").to_numpy(dtype=float)
    if competition:
        values, _ = enhanced_two_step_fca(pairs, supply, demand[weight_column].to_numpy(dtype=float), weight)
        name = "capacity_per_person_e2sfca"
    else:
        values, name = weighted_catchment(pairs, supply, len(demand), weight), "capacity_weighted_catchment"
    return pd.Series(values, index=demand.index, name=name)
