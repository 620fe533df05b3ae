"""The whole run on the bundled data: files, manifest, failure behaviour."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from coverage.config import FacilitySource
from coverage.errors import ValidationFailed
from coverage.pipeline import data_notes, run

BROKEN = Path(__file__).parent / "data" / "broken"


def test_run_writes_the_data_summary(songjiang_run_dir):
    out = songjiang_run_dir
    for name in ("tables/data_summary.csv", "tables/data_summary.xlsx", "tables/facilities.csv", "layers.gpkg",
                 "manifest.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "tables/data_summary.csv", encoding="utf-8-sig")
    assert "0-3岁人口(估算)" in table.columns and "公办托幼一体园(个)" in table.columns
    assert table["0-3岁人口(估算)"].iloc[-1] == 62449
    assert table["0-3岁人口(估算)"].iloc[:-1].sum() == pytest.approx(62449, abs=17)  # each 街镇 rounded


def test_manifest_lists_inputs_settings_outputs(songjiang_run_dir, songjiang_config):
    manifest = json.loads((songjiang_run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["config"][0]["path"] == str(songjiang_config.path)
    assert len(manifest["inputs"]["config"][0]["sha256"]) == 64
    assert manifest["settings"]["travel"]["walk_speed_kph"] == 4.0
    assert {"load_inputs", "data_summary"} <= set(manifest["timings_s"])
    assert any("估算" in note for note in manifest["notes"])
    listed = {o["path"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(songjiang_run_dir).as_posix() for p in songjiang_run_dir.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk


def test_notes_mark_every_estimate(songjiang_inputs):
    notes = "\n".join(data_notes(songjiang_inputs))
    assert "0-3 岁人口和常住人口分布是估算值" in notes
    assert "67 个设施的类型是按名称规则或默认值推断的" in notes
    assert "非完整名册" in notes and "ODbL" in notes


def test_failed_run_leaves_previous_results(songjiang_config, songjiang_run_dir):
    out = songjiang_run_dir
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    broken = replace(songjiang_config, facilities=(FacilitySource(path=BROKEN / "swapped_latlon.csv", label_zh="坏"),
                                                   FacilitySource(path=BROKEN / "duplicate_ids.csv", label_zh="坏")))
    with pytest.raises(ValidationFailed) as info:
        run(broken, out_dir=out)
    assert len(info.value.errors) == 2  # both files reported in one go
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert not list(out.parent.glob(".*partial"))
