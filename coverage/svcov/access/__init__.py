"""Access stage: walking times, coverage and service areas.

- :mod:`~svcov.access.engine`: ``TravelModel`` (network or straight-line fallback): nearest, catchments, OD matrix
- :mod:`~svcov.access.snap`: exact nearest-point-on-nearest-edge snapping
- :mod:`~svcov.access.service_areas`: 5/10/15-minute polygons from the reachable parts of the roads
- :mod:`~svcov.access.profiles`: one travel model per configured profile (speeds, per-edge speeds)
- :mod:`~svcov.access.fit`: does the road network cover the district (the network fit check)
- :mod:`~svcov.access.summary`: coverage per 街镇 × service × group × profile × threshold, 2SFCA capacity per
  person
- :mod:`~svcov.access.stage`: the access step of ``svcov run``
- :mod:`~svcov.access.reference`: the networkx reference the engine is checked against
"""
