"""Shared fixtures: the bundled Songjiang configuration and its loaded inputs (loaded once per session)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SONGJIANG_CONFIG = ROOT / "data" / "config" / "songjiang.yaml"


@pytest.fixture(scope="session")
def songjiang_config():
    from svcov.config import load_config

    return load_config(SONGJIANG_CONFIG)


@pytest.fixture(scope="session")
def songjiang_boundaries(songjiang_config):
    from svcov.data.boundaries import load_boundaries

    return load_boundaries(songjiang_config.boundaries, crs_metric=songjiang_config.crs_metric)


@pytest.fixture(scope="session")
def songjiang_inputs(songjiang_config):
    from svcov.pipeline import load_inputs

    return load_inputs(songjiang_config)


@pytest.fixture(scope="session")
def facility_types(songjiang_config):
    return songjiang_config.facility_types


@pytest.fixture(scope="session")
def childcare_attributes(songjiang_config):
    """The attributes the childcare type file declares (capacity = 托位数, has_nursery_class, is_demonstration)."""
    return songjiang_config.attributes


@pytest.fixture(scope="session")
def songjiang_run_dir(tmp_path_factory):
    """One full ``svcov run`` of the bundled job through the command line, shared by every test that reads its
    files (a run takes ~2 min: the suite makes it once), with the two bundled scenarios (data/scenarios). Tests only
    read it (one that runs into a run folder copies it first).

    Under pytest-xdist the workers share it: the first to need it makes it in the run's common temporary folder
    (the lock is a file created exclusively, which works on Windows too); the others wait for its marker."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    out = shared / "songjiang_run" / "songjiang"
    lock, done = shared / "songjiang_run.lock", shared / "songjiang_run.done"
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return _wait_for(done, out)
    from svcov.cli import main

    scenarios = ROOT / "data" / "scenarios"
    try:
        code = main(["run", "-q", "--out", str(out), "--scenario", str(scenarios / "prams.yaml"),
                     "--scenario", str(scenarios / "example_new_points.yaml")])
    except BaseException:
        done.write_text("failed", encoding="utf-8")
        raise
    done.write_text("ok" if code == 0 else f"exit {code}", encoding="utf-8")
    assert code == 0
    return out


def _wait_for(done: Path, out: Path, timeout_s: float = 1800.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while not done.is_file():
        if time.monotonic() > deadline:
            pytest.fail(f"the bundled run made by another worker did not finish in {timeout_s:.0f} s")
        time.sleep(0.5)
    state = done.read_text(encoding="utf-8")
    if state != "ok":
        pytest.fail(f"the bundled run made by another worker failed ({state})")
    return out
