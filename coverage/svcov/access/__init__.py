"""Access stage: walking times, coverage and service areas.

- :mod:`~svcov.access.engine`: ``TravelModel`` (network or straight-line fallback): nearest, catchments, OD matrix
- :mod:`~svcov.access.snap`: exact nearest-point-on-nearest-edge snapping
- :mod:`~svcov.access.service_areas`: 5/10/15-minute polygons from the reachable parts of the roads
- :mod:`~svcov.access.summary`: coverage per 街镇 × service × threshold, 2SFCA places per child
- :mod:`~svcov.access.stage`: the access step of ``svcov run``
- :mod:`~svcov.access.reference`: the networkx reference the engine is checked against
"""
