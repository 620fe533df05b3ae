"""Benchmark of ``svcov batch``: Shanghai's 16 districts (data/batch/shanghai_16.yaml, straight-line mode), run
one after another in one process (serial) and on a Dask LocalCluster of 2 workers, from the same prepared tasks.
Prints both wall times and the speed-up measured in the same run (target ≥ 1.7× on 2 cores), and checks that both
give the same coverage table.

    python benchmarks/bench_batch.py                   # the 16 districts (about 10-15 minutes on 2 cores)
    python benchmarks/bench_batch.py --districts 4     # the first 4 districts, for a smoke test
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "coverage"))

from _machine import load_average  # noqa: E402

from svcov.batch import DONE, execute, load_batch_config, prepare_tasks  # noqa: E402


def load() -> str:
    return load_average()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=Path, default=ROOT / "data" / "batch" / "shanghai_16.yaml")
    parser.add_argument("--districts", type=int, default=None, help="only the first N districts")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    batch = load_batch_config(args.batch)
    if args.districts:
        batch = dataclasses.replace(batch, districts=batch.districts[:args.districts])
    print(f"svcov batch benchmark: {len(batch.districts)} districts of {args.batch.name}, {os.cpu_count()} CPUs; "
          f"load average {load()} (1, 5, 15 min)")
    start = time.perf_counter()
    tasks, failed = prepare_tasks(batch)
    print(f"  prepare the tasks (inputs, halos; shared by both runs)   {time.perf_counter() - start:8.1f} s  "
          f"({sum(len(t.inputs.demand) for t in tasks):,} population cells, {len(failed)} failed)")
    tmp = Path(tempfile.mkdtemp(prefix="svcov-bench-batch-"))
    results = {}
    runs = (("serial (one process)", "serial"), (f"Dask LocalCluster, {args.workers} workers", "local"))
    for name, scheduler in runs:
        for task in tasks:
            task.out_dir = tmp / scheduler / task.key
        start = time.perf_counter()
        outcomes = execute(tasks, scheduler, n_workers=args.workers)
        seconds = time.perf_counter() - start
        done = sum(o.status == DONE for o in outcomes)
        results[scheduler] = (seconds, outcomes)
        print(f"  {name:<52} {seconds:8.1f} s  ({done} of {len(outcomes)} districts done; load {load()})")
        for o in outcomes:
            if o.status != DONE:
                print(f"    {o.key}: {o.status} {o.message.splitlines()[0] if o.message else ''}")
    serial, dask = results["serial"], results["local"]
    speed_up = serial[0] / dask[0]
    print(f"  speed-up of Dask over serial                             {speed_up:8.2f} ×  (expected ≥ 1.7 on 2 cores: "
          f"{'OK' if speed_up >= 1.7 else 'MISSED'})")
    a = pd.concat([o.coverage for o in serial[1] if o.coverage is not None], ignore_index=True)
    b = pd.concat([o.coverage for o in dask[1] if o.coverage is not None], ignore_index=True)
    same = a.reset_index(drop=True).equals(b.reset_index(drop=True))
    print(f"  coverage tables of the two runs identical                {same}  ({len(a):,} rows)")
    print(f"  outputs under {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
