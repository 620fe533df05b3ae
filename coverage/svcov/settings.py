"""Defaults, as plain typed module variables (read at call time, like ``osmnx.settings``).

A run's YAML configuration overrides these; every number here says where it comes from.
"""

from __future__ import annotations

# --- travel -------------------------------------------------------------------------------------------------
#: Walking speed. 4.0 km/h makes a 15-minute walk 1,000 m, the upper end of the 800-1,000 m walking distance
#: that GB 50180-2018 《城市居住区规划设计标准》 (table 3.0.4) gives for the 15-minute life circle
#: (十五分钟生活圈居住区); 10 and 5 minutes likewise give ~670 m and ~330 m against the standard's 500 m and 300 m.
#: Carers with prams or toddlers walk slower: 3.2 km/h (800 m in 15 minutes) is the standard's lower end.
walk_speed_kph: float = 4.0

#: Straight-line fallback when no road network is loaded: network distance ≈ straight-line distance × this
#: factor. Studies of street networks find average circuity of about 1.1-1.3 (Giacomin & Levinson 2015,
#: "Road network circuity in metropolitan areas", Environment and Planning B 42(6); Boeing 2019, "Urban
#: spatial order", Applied Network Science 4). 1.3 is the conservative end: the fallback should not claim
#: coverage that a real walk would not give. Measured on the real Jing'an OSM network in tests/data
#: (benchmarks/bench_service_areas.py; junction pairs 300-1,500 m apart): median 1.34, mean 1.52 (p10-p90
#: 1.07-2.04). That extract is a *drive* network without footways or compound paths, cut at its bounding box, so
#: it overstates walking detours; a walk network is usually nearer the median. Raise the factor (e.g. 1.5) where
#: rivers, rail lines or gated compounds force long detours.
circuity_factor: float = 1.3

#: Points (facilities, population cells) farther than this from any road are reported as unreachable.
snap_max_m: float = 500.0

#: Thresholds of the service areas, in minutes (the 5/10/15-minute life circles of GB 50180-2018).
thresholds_min: tuple[int, ...] = (5, 10, 15)

# --- road network and service areas (svcov.network, svcov.access) ------------------------------------------
#: Network fit check: at least this share of the served population and of the facilities must lie within
#: ``snap_max_m`` of a road, and at least this share of every 街镇's area inside the network's outline; below it
#: the run stops with the 街镇 most affected and how to fix it. 90 % lets a few remote cells and a facility or two
#: fall off the network (they are reported as unreachable) but not a district the extract does not cover.
network_min_fit_share: float = 0.9

#: Road centre-line layers: line ends closer than this are joined into one junction, and a line end this close to
#: another line is joined to it (a T-junction drawn a little short or long). Every join is reported.
line_snap_tolerance_m: float = 2.0

#: Points snap only onto pieces of the network with at least this many junctions (or the largest piece), so a
#: short fragment left at the edge of an extract does not capture the points around it. Smaller pieces stay in the
#: network and are listed in the network report.
snap_min_component_nodes: int = 50

#: Shortest-path engine of the network travel model: ``"auto"`` (numba's compiled kernels when numba imports,
#: else scipy), ``"numba"`` or ``"scipy"`` (the reference: same numbers, slower on city-sized networks).
access_backend: str = "auto"

#: Threads of the compiled kernels (searches from blocks of sources run in parallel); None = every core. A Dask
#: worker of ``svcov batch`` uses its own thread count.
access_threads: int | None = None

#: Spacing of the sample points along roads from which service-area polygons are built; polygons are accurate to
#: about this distance.
service_area_sample_m: float = 10.0

#: Networks with more road samples than this (every ``service_area_sample_m``) get their service areas on a grid of
#: pixels instead of Voronoi cells (``svcov.access.area_grid``): a city-sized network (~1M junctions) has ~14M
#: samples, whose Voronoi cells would take minutes. 1,000,000 samples is ~10,000 km of roads, more than a district.
service_area_max_samples: int = 1_000_000

#: Pixel side of that grid (m), raised where needed to keep at most ``service_area_max_pixels`` pixels (about 21 m
#: for an 80 × 80 km network; 16M pixels hold ~200 MB of grid).
service_area_grid_m: float = 10.0
service_area_max_pixels: int = 16_000_000

# --- data -----------------------------------------------------------------------------------------------------
#: Records this close to the boundary but outside every 街镇 are assigned to the nearest one (with a warning);
#: farther ones are errors. OSM boundaries here are simplified by about 60 m.
boundary_tolerance_m: float = 200.0

#: Facilities outside every 街镇 but within this distance of the district are kept, with a warning: walking does
#: not stop at a district border, and a facility just across it serves residents on this side. Farther ones are
#: errors (most likely wrong coordinates). 2 km is about two 15-minute walks' radius at 4 km/h.
facility_outside_margin_m: float = 2000.0

#: Two 街镇 that overlap by at least this share of the smaller one's area *and* at least ``boundary_overlap_min_km2``
#: (or one inside another) are reported (``boundaries.overlaps``: error or resolve). Smaller overlaps are the
#: slivers of simplified outlines: the bundled OSM boundaries of Songjiang overlap by at most 0.3 % of a 街镇 and
#: 0.06 km² (0.48 km² in all); they are counted in one note and points there go to the first 街镇 by code. In the
#: bundled 217-街镇 file of Shanghai this reports 5 pairs (28.4 km²: 东明路街道 inside 三林镇, 陈家镇/东平镇 ...).
boundary_overlap_min_share: float = 0.01
boundary_overlap_min_km2: float = 0.1

#: Size of the estimated population grid cells.
population_cell_size_m: float = 250.0

#: Earliest and latest plausible year for opened_year / closed_year.
min_year: int = 1949
max_year: int = 2100

#: Encodings tried, in order, when reading a CSV: UTF-8 with or without BOM, then GB18030 (a superset of GBK,
#: what Excel writes on Chinese Windows).
csv_encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")

#: Geographic CRS of everything read or written for web maps.
wgs84: str = "EPSG:4326"
