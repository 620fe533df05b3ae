"""Named places drawn on the map for orientation: residential compounds, schools, parks, community centres.

Offline there is no basemap, so a planner finds their way by the names they know. The layer is any point (or
polygon) file with a name column and, optionally, a kind column (OpenStreetMap ``fclass``); only named places
inside (or within 500 m of) the district are kept.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from ..config.outputs import ContextLayerConfig
from ..errors import InputError, single_problem
from ..vocabulary import DEFAULT_PLACE_KINDS, PLACE_KINDS_ZH
from .readers import read_vector

__all__ = ["load_places", "PLACE_COLUMNS"]

#: Columns of the places frame.
PLACE_COLUMNS = ("name", "kind", "kind_zh")
#: Places this far outside the district are still drawn (a name across the border helps too), metres.
MARGIN_M = 500.0


def load_places(source: ContextLayerConfig, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The named places of ``source`` near the district, as points in the boundaries' metric CRS.

    Returns
    -------
    GeoDataFrame
        ``name``, ``kind`` (the file's kind, e.g. ``residential``), ``kind_zh`` (「住宅小区」; the kind itself if
        unknown, 「地名」 without a kind column), Point geometry.

    Raises
    ------
    InputError
        The file cannot be read or has no such name (or kind) column.
    """
    frame = read_vector(source.path)
    for column in [source.name_column] + ([source.kind_column] if source.kind_column else []):
        if column not in frame.columns:
            raise single_problem(InputError, Path(source.path), f"地名图层中没有列「{column}」; 请在 outputs.context 中用 "
                                 f"name_column / kind_column 指明列名 (现有列: {', '.join(map(str, frame.columns))})",
                                 f"the place layer has no column {column!r}; set outputs.context name_column / "
                                 f"kind_column", column=column)
    names = frame[source.name_column].astype("string").str.strip()
    kinds = frame[source.kind_column].astype(str) if source.kind_column else None
    keep = names.notna() & (names != "")
    if kinds is not None:
        keep &= kinds.isin(source.kinds or DEFAULT_PLACE_KINDS)
    rows = frame[keep.fillna(False).to_numpy()]
    points = rows.geometry.to_crs(boundaries.crs).representative_point()
    near = points.within(boundaries.geometry.union_all().buffer(MARGIN_M))
    kind = kinds[rows.index][near] if kinds is not None else None
    return gpd.GeoDataFrame({"name": names[rows.index][near].astype(str).to_numpy(),
                             "kind": kind.to_numpy() if kind is not None else "",
                             "kind_zh": [PLACE_KINDS_ZH.get(k, k) for k in kind] if kind is not None else "地名"},
                            geometry=points[near].to_numpy(), crs=boundaries.crs)
