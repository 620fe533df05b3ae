"""What the benchmarks say about the machine, on Linux, macOS and Windows alike.

``os.getloadavg`` and the ``resource`` module do not exist on Windows (the main users' platform); there the load
average is reported as unknown and the peak memory comes from psutil (the peak working set).
"""

from __future__ import annotations

import os
import sys


def load_average() -> str:
    """The 1, 5 and 15-minute load averages as text (``"n/a"`` where the system has none, e.g. Windows)."""
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    if sys.platform == "win32":
        import psutil

        return psutil.Process().memory_info().peak_wset / 2**20
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0  # bytes on macOS, KiB on Linux
