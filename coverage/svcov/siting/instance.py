"""The arrays of a siting problem: sparse time matrices, the plan (years and budgets), rule inputs, and the merging
of demand rows that a model cannot tell apart.

Everything here is plain arrays and small frozen dataclasses, so the models in :mod:`svcov.siting.models`
can be built from a cost matrix alone (as in spopt's ``from_cost_matrix``) and tested against brute force.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError, Problem

__all__ = ["Plan", "SiteRules", "sparse_within", "group_rows", "select_rows", "argument_error"]

log = logging.getLogger(__name__)


#: Budget meaning "no limit" (large, but small enough for solver bounds).
UNLIMITED = 1_000_000_000


def argument_error(where: str, message_zh: str, message_en: str, value: object = None) -> ConfigError:
    """A :class:`ConfigError` for a wrong argument of a public function (``where`` names the function)."""
    return ConfigError(where, [Problem(where, message_zh, message_en, value=value)])


@dataclass(frozen=True)
class Plan:
    """The years of a plan and how many new sites each year must (``min_new``) and may (``max_new``) get.

    A site opened in a year stays open in the later years; existing facilities are not part of the plan.
    ``years`` may be ``(None,)`` for a plan without a calendar year.

    Use :meth:`single` (one round of ``k`` sites) or :meth:`phased` (e.g. ``{2021: 6, 2022: 6, 2023: 6}``).
    """

    years: tuple[int | None, ...]
    min_new: tuple[int, ...]
    max_new: tuple[int, ...]

    def __post_init__(self) -> None:
        n = len(self.years)
        bad = (n == 0 or len(self.min_new) != n or len(self.max_new) != n
               or any(not 0 <= lo <= hi for lo, hi in zip(self.min_new, self.max_new))
               or (n > 1 and any(y is None for y in self.years))
               or (n > 1 and list(self.years) != sorted(set(self.years))))
        if bad:
            raise argument_error("Plan", "计划的年份应递增且不重复, 每年新增数应满足 0 ≤ 下限 ≤ 上限。",
                                 "plan years must increase without repeats and each year needs 0 <= min <= max",
                                 value=(self.years, self.min_new, self.max_new))

    @classmethod
    def single(cls, k: int | None = None, year: int | None = None, *, k_max: int | None = None) -> Plan:
        """One round in ``year``: exactly ``k`` new sites; between ``k`` and ``k_max`` if both are given; at most
        ``k_max`` (any number if ``k_max`` is None too) if ``k`` is None."""
        lo = 0 if k is None else int(k)
        if k_max is not None:
            hi = int(k_max)
        else:
            hi = lo if k is not None else UNLIMITED
        return cls((year,), (lo,), (hi,))

    @classmethod
    def phased(cls, sites_per_year: Mapping[int, int | tuple[int, int]]) -> Plan:
        """Several years: ``{year: k}`` (exactly ``k``) or ``{year: (k_min, k_max)}``."""
        years = tuple(sorted(int(y) for y in sites_per_year))
        lo, hi = [], []
        for y in years:
            v = sites_per_year[y]
            a, b = (v, v) if np.isscalar(v) else tuple(v)
            lo.append(int(a))
            hi.append(int(b))
        return cls(years, tuple(lo), tuple(hi))

    @property
    def n_years(self) -> int:
        return len(self.years)

    def deadline_index(self, deadline_year: int | None) -> int | None:
        """Index of the plan year by which a rule due in ``deadline_year`` must hold; ``None`` if it falls after
        the plan's last year (then the rule is only worked towards, see :class:`SiteRules`)."""
        if deadline_year is None or self.years[-1] is None:
            return self.n_years - 1
        for i, year in enumerate(self.years):
            if year >= deadline_year:
                return i
        return None

    def label(self) -> str:
        return "、".join("" if y is None else str(y) for y in self.years) or "-"


@dataclass(frozen=True)
class SiteRules:
    """Layout rules as plain inputs: per-zone (街镇) minimum and maximum numbers of new sites.

    Parameters
    ----------
    min_sites
        Zone code → minimum number of new sites (e.g. 1 for every 街镇 that lacks the type: the "3个一").
    max_sites
        Zone code → maximum number of new sites over the plan.
    default_max_sites
        Maximum for zones not in ``max_sites`` (``None``: no limit).
    deadline_year
        The minimums must hold by this year (``None``: by the plan's last year). If the plan ends before it (e.g. a
        one-year run for 2022 when the plan's target is 2023), the minimums are worked towards instead: as many
        zones with a minimum as the plan's new sites allow (``min(sites, zones)``) get one.
    reasons_zh
        Zone code → why the zone needs a site, in words for the memo (e.g. 「缺普惠性托育点 (「3个一」, 二(二)1)」).
    zone_names
        Zone code → name, for messages.
    type_name_zh
        Name of the new sites' type, for messages (e.g. 普惠性托育点).
    """

    min_sites: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    max_sites: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    default_max_sites: int | None = None
    deadline_year: int | None = None
    reasons_zh: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    zone_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    type_name_zh: str = "新增设施"

    def __post_init__(self) -> None:
        values = list(self.min_sites.values()) + list(self.max_sites.values())
        if self.default_max_sites is not None:
            values.append(self.default_max_sites)
        if any(int(v) != v or v < 0 for v in values):
            raise argument_error("SiteRules", "街镇的新增下限和上限应是非负整数。",
                                 "zone minimums and maximums must be non-negative integers", value=values)

    def zone_label(self, code: str) -> str:
        name = self.zone_names.get(code)
        return f"{name} ({code})" if name else str(code)

    def max_for(self, code: str) -> int | None:
        return self.max_sites.get(code, self.default_max_sites)


def sparse_within(cost: np.ndarray | sp.spmatrix | sp.sparray, max_time_s: float, *, where: str) -> sp.csr_array:
    """Pairs within ``max_time_s`` as a CSR array whose stored entries are the times (zeros kept).

    Parameters
    ----------
    cost
        Dense ``n_rows × n_cols`` times in seconds (``np.inf`` = unreachable), or a scipy sparse matrix whose
        stored entries are the reachable pairs.
    max_time_s
        Pairs with ``time <= max_time_s`` are kept.
    where
        Name of the calling function, for error messages.

    Returns
    -------
    scipy.sparse.csr_array
        Sorted indices, float64 times.

    Raises
    ------
    ConfigError
        If the matrix is not two-dimensional or holds negative or NaN times.
    """
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        rows, cols, data = coo.row, coo.col, np.asarray(coo.data, dtype=float)
        shape = coo.shape
    else:
        arr = np.asarray(cost, dtype=float)
        if arr.ndim != 2:
            raise argument_error(where, "时间矩阵应是二维数组 (需求点 × 设施)。", "the cost matrix must be 2-D",
                                 value=arr.shape)
        if np.isnan(arr).any():
            raise argument_error(where, "时间矩阵中有 NaN; 不可达请用 np.inf。", "the cost matrix holds NaN; use np.inf")
        rows, cols = np.nonzero(arr <= max_time_s)
        data, shape = arr[rows, cols], arr.shape
    if data.size and (np.isnan(data).any() or data.min() < 0):
        raise argument_error(where, "时间矩阵中有负数或 NaN。", "the cost matrix holds negative or NaN times")
    keep = data <= max_time_s
    rows, cols, data = rows[keep], cols[keep], data[keep]
    order = np.lexsort((cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return sp.csr_array((data, cols.astype(np.int32), indptr), shape=shape)


def _row_bytes(matrix: sp.csr_array, *, with_data: bool) -> list[bytes]:
    ptr = matrix.indptr
    ind = np.ascontiguousarray(matrix.indices, dtype=np.int32).tobytes()
    dat = np.ascontiguousarray(matrix.data, dtype=np.float64).tobytes() if with_data else b""
    out = []
    for r in range(matrix.shape[0]):
        a, b = int(ptr[r]), int(ptr[r + 1])
        key = np.int64(b - a).tobytes() + ind[4 * a:4 * b]
        out.append(key + dat[8 * a:8 * b] if with_data else key)
    return out


def group_rows(parts: list[tuple[sp.csr_array, bool]],
               extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Group rows that are identical in every part: same stored columns (and values, where asked) and same
    ``extra`` row. Exact (compares bytes, no hashing collisions).

    Parameters
    ----------
    parts
        ``(matrix, with_data)`` pairs with the same number of rows and sorted indices.
    extra
        Optional ``n_rows × m`` array that must also be equal within a group.

    Returns
    -------
    inverse : ndarray of int
        Group number of every row (groups numbered in order of first appearance).
    first : ndarray of int
        The first row of every group.
    """
    n = parts[0][0].shape[0]
    keys = [b""] * n
    for matrix, with_data in parts:
        keys = [k + r for k, r in zip(keys, _row_bytes(matrix, with_data=with_data))]
    if extra is not None and len(extra):
        ext = np.ascontiguousarray(extra).reshape(n, -1)
        keys = [k + e.tobytes() for k, e in zip(keys, ext)]
    inverse, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    _, first = np.unique(inverse, return_index=True)
    return inverse.astype(np.int64), first.astype(np.int64)


def select_rows(matrix: sp.csr_array, rows: np.ndarray) -> sp.csr_array:
    """Rows of a CSR array (keeps explicit zeros and sorted indices)."""
    out = matrix[rows]
    return sp.csr_array(out)
