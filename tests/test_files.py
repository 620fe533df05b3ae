"""Atomic writes and the run folder: a failure never leaves half a file or half a run."""

from __future__ import annotations

import json

import pytest

from svcov.errors import OutputError
from svcov.files import RunFolder, atomic_path, atomic_write_text, sha256_file


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "first")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary left behind


def test_temporary_name_keeps_the_suffix(tmp_path):
    with atomic_path(tmp_path / "layers.gpkg") as tmp:
        assert tmp.name.endswith("layers.gpkg") and tmp.parent == tmp_path
        tmp.write_bytes(b"x")


def test_unwritable_parent_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="无法创建输出文件夹"), atomic_path(blocker / "sub" / "a.txt"):
        pass


def test_run_folder_commit_and_failure(tmp_path):
    final = tmp_path / "run"
    with RunFolder(final) as folder:
        atomic_write_text(folder.path("tables/x.csv"), "a,b\n")
        folder.add_input("config", __file__)
        folder.write_manifest({"k": 1})
        folder.commit()
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["config"][0]["sha256"] == sha256_file(__file__)
    assert manifest["outputs"] == [{"path": "tables/x.csv", "bytes": 4, "sha256": sha256_file(final / "tables/x.csv")}]
    assert manifest["versions"]["geopandas"] != "not installed"
    with pytest.raises(RuntimeError), RunFolder(final) as folder:
        atomic_write_text(folder.path("tables/y.csv"), "partial")
        raise RuntimeError("stage failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .partial folder left
    assert sorted(p.name for p in (final / "tables").iterdir()) == ["x.csv"]  # previous run untouched


def test_outputs_get_normal_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "shared.txt", "x")
        with RunFolder(tmp_path / "run") as folder:
            folder.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
