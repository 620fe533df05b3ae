"""Shared fixtures: the bundled Songjiang configuration and its loaded inputs (loaded once per session)."""

from __future__ import annotations

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
    files (a run takes ~1 min: the suite makes it once), with the two bundled scenarios (data/scenarios)."""
    from svcov.cli import main

    out = tmp_path_factory.mktemp("songjiang_run") / "songjiang"
    scenarios = ROOT / "data" / "scenarios"
    assert main(["run", "-q", "--out", str(out), "--scenario", str(scenarios / "prams.yaml"),
                 "--scenario", str(scenarios / "example_new_points.yaml")]) == 0
    return out
