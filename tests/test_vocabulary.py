"""Tests of svcov.vocabulary: each shared word is defined once and the stages use those definitions."""

from __future__ import annotations

import pytest

from svcov import vocabulary as v
from svcov.siting.candidates import SOURCE_NAMES_ZH, CandidateSpec
from svcov.siting.models import MODELS


def test_siting_models_are_the_registry_of_the_siting_stage():
    assert tuple(MODELS) == v.SITING_MODELS
    assert set(v.MODEL_NAMES_ZH) == set(MODELS)


def test_candidate_kinds_and_defaults_are_shared_by_config_and_siting():
    assert tuple(SOURCE_NAMES_ZH) == tuple(v.CANDIDATE_KINDS) == ("file", "pois", "clusters", "grid", "facilities")
    grid = CandidateSpec.from_mapping({"kind": "grid"})
    clusters = CandidateSpec.from_mapping({"kind": "clusters"})
    assert grid.spacing_m == v.CANDIDATE_KINDS["grid"].defaults["spacing_m"] == 1000.0
    assert clusters.n_clusters == v.CANDIDATE_KINDS["clusters"].defaults["n_clusters"] == 50


def test_statuses_and_district_code():
    assert v.STATUSES == ("达标", "未达标", "数据不足") == (v.PASS, v.FAIL, v.INSUFFICIENT)
    assert v.DISTRICT_CODE == "全区" and v.SCOPE_ZH["district"] == "全区"


@pytest.mark.parametrize(("name", "expected"), [("GCJ-02", "gcj02"), (" 高德 ", "gcj02"), ("BD09", "bd09"),
                                                ("EPSG:4326", "wgs84"), ("mercator", None)])
def test_coordinate_system_names(name, expected):
    assert v.normalise_coord_system(name) == expected


def test_vocabulary_imports_no_other_svcov_module():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(v.__file__).read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or "svcov" in (n.module or ""))]
