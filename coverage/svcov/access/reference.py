"""A slow, plainly correct reference for the network travel model: networkx on the graph with every snapped point
inserted as a junction (edges split at the snapped points, access legs added as edges).

The fast engine (:class:`svcov.access.engine.NetworkTravelModel`) must give the same times; tests and
``benchmarks/bench_service_areas.py`` check that it does, to 1e-6 s.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import networkx as nx
import numpy as np

from .engine import NetworkTravelModel
from .snap import Snapped

__all__ = ["augmented_graph", "reference_nearest_s"]


def augmented_graph(model: NetworkTravelModel, points: Mapping[str, Snapped]) -> nx.Graph:
    """The network with the points inserted, as an undirected networkx graph weighted in seconds.

    Junction ``k`` is node ``("n", k)``; the ``i``-th point of group ``name`` is node ``("p", name, i)`` (only
    points on the network); the split points on edge ``e`` are ``("s", e, offset_m)``. Edge attribute ``weight``
    is the travel time (s): along an edge its share of the edge's time (``model.edge_time_s``), on an access leg
    the distance at the model's speed.

    Parameters
    ----------
    model
        The travel model (network and speed).
    points
        Named groups of snapped points (from :meth:`NetworkTravelModel.snap`).

    Returns
    -------
    networkx.Graph
    """
    net, speed = model.network, model.speed_mps
    pace = np.where(net.edge_length_m > 0, model.edge_time_s / np.maximum(net.edge_length_m, 1e-300), 1 / speed)
    graph = nx.Graph()
    graph.add_nodes_from(("n", k) for k in range(net.n_nodes))
    splits: dict[int, set] = {}
    for name, snapped in points.items():
        for i in np.flatnonzero(snapped.ok):
            e, off = int(snapped.edge[i]), float(snapped.offset_m[i])
            splits.setdefault(e, set()).add(off)
            graph.add_edge(("p", name, int(i)), ("s", e, off), weight=float(snapped.access_m[i]) / speed)
    for e in range(net.n_edges):
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length_m[e])
        chain: list[tuple[Hashable, float]] = [(("n", u), 0.0)]
        chain += [(("s", e, off), off) for off in sorted(splits.get(e, ()))]
        chain.append((("n", v), length))
        for (a, off_a), (b, off_b) in zip(chain[:-1], chain[1:]):
            if a == b:
                continue
            weight = (off_b - off_a) * pace[e]  # seconds per metre of this edge (per-edge speeds)
            if graph.has_edge(a, b) and graph[a][b]["weight"] <= weight:
                continue
            graph.add_edge(a, b, weight=weight)
    return graph


def reference_nearest_s(model: NetworkTravelModel, sources: Snapped, targets: Snapped) -> np.ndarray:
    """Time from each target to its nearest source with ``networkx.multi_source_dijkstra_path_length``.

    Returns
    -------
    ndarray
        Seconds per target (inf if unreachable).
    """
    graph = augmented_graph(model, {"src": sources, "tgt": targets})
    starts = [("p", "src", int(i)) for i in np.flatnonzero(sources.ok)]
    if not starts:
        return np.full(len(targets), np.inf)
    lengths = nx.multi_source_dijkstra_path_length(graph, starts, weight="weight")
    return np.array([lengths.get(("p", "tgt", i), np.inf) for i in range(len(targets))])
