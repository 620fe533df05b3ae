"""Network stage: road networks from every source a bureau has, as arrays.

- :mod:`~svcov.network.sources`: ``load_network`` (osmnx download + cache, OSM XML/PBF, GraphML, line layers)
- :mod:`~svcov.network.lines`: noding road centre-line layers, every join reported
- :mod:`~svcov.network.build`: ``RoadNetwork`` (junctions, edges, connected pieces) and the CSR travel times
- :mod:`~svcov.network.synthetic`: hand-checkable grids and street-like networks for tests and benchmarks
"""
