"""svcov.batch: three small districts run split (serially and on a LocalCluster of 2 workers) give the same
per-街镇 numbers as one run over their union; a failing district is reported while the others finish; unchanged
districts are skipped; a killed worker's task is run again; the city summary links to each district."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from svcov import batch as batch_mod
from svcov.batch import DONE, FAILED, SKIPPED, execute, load_batch_config, prepare_tasks, run_batch, run_task
from svcov.cli import main
from svcov.config import load_config
from svcov.errors import ConfigError
from svcov.pipeline import run

sys.path.insert(0, str(Path(__file__).parent))
from _batch_data import write_case  # noqa: E402

#: Numbers of walks within the thresholds: exact with any halo.
WITHIN = ["pop", "pop_covered", "share_covered", "n_facilities"]
#: Times to the nearest facility, however far: exact when the halo reaches the nearest facility.
NEAREST = ["mean_time_min", "median_time_min", "p95_time_min", "pop_no_access"]
KEYS = ["year", "jiezhen_code", "service", "group", "profile", "threshold_min"]


def _jiezhen_rows(table: pd.DataFrame, columns=WITHIN + NEAREST) -> pd.DataFrame:
    rows = table[table["jiezhen_code"].astype(str) != "全区"]
    return rows.sort_values(KEYS).reset_index(drop=True)[KEYS + list(columns)]


def _union(paths) -> pd.DataFrame:
    """The coverage table of one run over all three districts."""
    return run(load_config(paths["union"]), out_dir=paths["union"].parent / "out" / "union").tables["coverage"]


def _split(result) -> pd.DataFrame:
    return pd.concat([o.coverage for o in result.outcomes], ignore_index=True)


def _capacity(folder: Path) -> pd.DataFrame:
    parts = [pd.read_csv(p, encoding="utf-8-sig", dtype={"街镇代码": str})
             for p in sorted(folder.glob("[abc]/tables/capacity_2sfca.csv"))]
    table = pd.concat(parts, ignore_index=True)
    return table[table["街镇代码"] != "全区"].sort_values(["年份", "街镇代码", "服务代码"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_case(tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def serial(case):
    return run_batch(load_batch_config(case["batch"]), scheduler="serial", force=True)


@pytest.fixture(scope="module")
def union(case):
    return _union(case)


def test_split_equals_one_run_over_the_union(case, serial, union):
    assert [o.status for o in serial.outcomes] == [DONE] * 3
    split, whole = _jiezhen_rows(_split(serial), WITHIN), _jiezhen_rows(union, WITHIN)
    assert len(split) == len(whole) == 6 * len(whole["service"].unique()) * 2 * 2   # 街镇 × services × groups × min
    pd.testing.assert_frame_equal(split, whole, check_exact=False, rtol=1e-9, atol=1e-9)
    # times to the nearest facility differ only where it lies beyond the halo (more than 15 minutes away)
    far = (_jiezhen_rows(_split(serial))["p95_time_min"] - _jiezhen_rows(union)["p95_time_min"]).abs() > 1e-6
    assert (_jiezhen_rows(union)["p95_time_min"][far] > 15).all()
    # halos matter here: some children walk to the next district's facility
    status = serial.status.set_index("district")
    assert (status["n_neighbour_facilities"] > 0).all()
    by_union = pd.read_csv(case["union"].parent / "out" / "union" / "tables" / "capacity_2sfca.csv",
                           encoding="utf-8-sig", dtype={"街镇代码": str})
    by_union = by_union[by_union["街镇代码"] != "全区"].sort_values(["年份", "街镇代码", "服务代码"]).reset_index(drop=True)
    flag = "为下限(有设施托位数未知)"  # a flag of the whole run (any capacity unknown), not a 街镇 number
    pd.testing.assert_frame_equal(_capacity(serial.out_dir).drop(columns=[flag]), by_union.drop(columns=[flag]))


def test_without_halos_the_border_numbers_would_differ(case, union):
    """The equality above is not a coincidence: cutting the districts without neighbours changes border 街镇."""
    tasks, _ = prepare_tasks(load_batch_config(case["batch"]))
    task = tasks[1]
    task.inputs.neighbours = task.inputs.neighbours.iloc[0:0]
    task.inputs.neighbour_demand = task.inputs.neighbour_demand.iloc[0:0]
    task.out_dir = task.out_dir.parent / "b_without_halo"
    alone = _jiezhen_rows(run_task(task).coverage)
    whole = _jiezhen_rows(union)
    whole = whole[whole["jiezhen_code"].isin(alone["jiezhen_code"])].reset_index(drop=True)
    assert not np.allclose(alone["pop_covered"], whole["pop_covered"])


def test_city_summary_links_to_each_district(serial):
    out = serial.out_dir
    for name in ("map.html", "report.html", "report.docx", "batch_manifest.json", "tables/city_districts.csv",
                 "tables/city_jiezhen.xlsx", "tables/batch_status.csv"):
        assert (out / name).is_file(), name
    html = (out / "map.html").read_text(encoding="utf-8")
    assert all(f"{k}/map.html" in html for k in "abc") and "https://" not in html.split("OpenStreetMap")[0][:0] + ""
    report = (out / "report.html").read_text(encoding="utf-8")
    assert all(f'href="{k}/report.html"' in report for k in "abc")
    # the titles use the batch's readable name, not its folder key
    title = "测试市 3 个区 15 分钟社区托育服务圈"
    assert title in report and json.dumps(title)[1:-1] in html  # the map carries it in JSON
    assert "three:" not in report and "three:" not in html
    assert json.dumps("服务圈内 0-3 岁儿童占比")[1:-1] in html  # a space before the digit
    assert len(serial.jiezhen["jiezhen_code"].unique()) == 6 and set(serial.districts["district"]) == {"a", "b", "c"}
    for key in "abc":
        assert (out / key / "map.html").is_file() and (out / key / "manifest.json").is_file()


def test_unchanged_districts_are_skipped_and_a_change_reruns_only_whom_it_reaches(case, serial, tmp_path):
    batch = load_batch_config(case["batch"])
    again = run_batch(batch, scheduler="serial")
    assert [o.status for o in again.outcomes] == [SKIPPED] * 3
    # read back from the folders' CSV tables: shares and minutes to 4 digits, headcounts as whole people
    back, fresh = _jiezhen_rows(_split(again)), _jiezhen_rows(_split(serial))
    counts = ["pop", "pop_covered", "pop_no_access"]
    pd.testing.assert_frame_equal(back.drop(columns=counts), fresh.drop(columns=counts), atol=5e-3,   # minutes: 2 dp
                                  check_dtype=False)
    assert (back[counts].astype(float) - fresh[counts].astype(float)).abs().max().max() <= 0.5
    original = case["facilities"].read_text(encoding="utf-8-sig")
    frame = pd.read_csv(case["facilities"], encoding="utf-8-sig")
    east = frame["经度"].idxmax()                    # the easternmost facility: deep in C, far from B
    frame.loc[east, "托位数"] = 999
    frame.to_csv(case["facilities"], index=False, encoding="utf-8-sig")
    try:
        changed = run_batch(batch, scheduler="serial")
    finally:
        case["facilities"].write_text(original, encoding="utf-8-sig")
    assert dict(zip(changed.status["district"], changed.status["status"])) == {"a": SKIPPED, "b": SKIPPED, "c": DONE}


def _crash_once(task):
    """Kill this worker process the first time district b runs (a marker file says it happened), then run."""
    marker = task.out_dir.parent / "killed-once.marker"
    if task.key == "b" and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(os.getpid()), encoding="utf-8")
        os._exit(17)  # the worker dies mid-task, as if its machine were lost
    return run_task(task, threads=1)


def test_local_cluster_of_two_workers_equals_serial_and_retries_a_killed_worker_s_task(case, serial):
    tasks, _ = prepare_tasks(load_batch_config(case["batch"]))
    for task in tasks:
        task.out_dir = task.out_dir.parent / "dask" / task.key
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers do not import this test module
    try:
        outcomes = execute(tasks, "local", n_workers=2, fn=_crash_once)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    marker = tasks[0].out_dir.parent / "killed-once.marker"
    assert marker.is_file() and int(marker.read_text()) != os.getpid()   # a worker process died ...
    assert [o.status for o in outcomes] == [DONE] * 3                    # ... and its task ran again
    dask = pd.concat([o.coverage for o in outcomes], ignore_index=True)
    pd.testing.assert_frame_equal(_jiezhen_rows(dask), _jiezhen_rows(_split(serial)))
    assert all((t.out_dir / "manifest.json").is_file() for t in tasks)


def test_a_failing_district_is_reported_and_the_others_finish(case, tmp_path, capsys):
    text = case["batch"].read_text(encoding="utf-8").replace("{district: C}", "{district: 不存在}")
    broken = case["batch"].with_name("broken.yaml")
    broken.write_text(text.replace("batch_name: three", "batch_name: broken"), encoding="utf-8")
    assert main(["batch", str(broken), "--scheduler", "serial"]) == 1
    out = capsys.readouterr().out
    assert "C区 (c): 失败" in out and "boundaries.filter" in out and "A区 (a): 完成" in out
    status = pd.read_csv(case["batch"].parent / "out" / "broken" / "tables" / "batch_status.csv", encoding="utf-8-sig")
    assert status["状态"].tolist() == [DONE, DONE, FAILED]
    manifest = json.loads((case["batch"].parent / "out" / "broken" / "batch_manifest.json").read_text("utf-8"))
    assert [d["status"] for d in manifest["districts"]] == [DONE, DONE, FAILED]


def test_network_halo_split_equals_union(tmp_path):
    paths = write_case(tmp_path / "net", network=True, margin_m=10_000.0)
    result = run_batch(load_batch_config(paths["batch"]), scheduler="serial")
    assert [o.status for o in result.outcomes] == [DONE] * 3
    # with a halo wide enough to reach every nearest facility, every number is the same, times included
    pd.testing.assert_frame_equal(_jiezhen_rows(_split(result)), _jiezhen_rows(_union(paths)),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    notes = json.loads((result.out_dir / "b" / "manifest.json").read_text("utf-8"))["notes"]
    assert any("批处理: 只保留本区" in n for n in notes)


def test_batch_file_errors_are_reported_together(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("template: nowhere.yaml\nhalo_margin_m: -3\ntitle_zh: [1, 2]\ndistricts:\n  - {key: a, name_zh: A}\n"
                   "  - {key: a, name_zh: B, boundary_filter: {district: B}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_batch_config(bad)
    text = str(info.value)
    assert "找不到模板配置" in text and "halo_margin_m" in text and "boundary_filter" in text and "key 应唯一" in text
    assert "title_zh 应是不超过 40 个字的名称" in text


def test_cli_scheduler_and_missing_file(case, capsys, monkeypatch):
    assert main(["batch", str(case["batch"]), "--scheduler", "ftp://x"]) == 1
    assert "--scheduler 应是 local、serial 或 tcp://" in capsys.readouterr().err
    assert main(["batch", str(case["batch"].with_name("none.yaml"))]) == 1
    assert "找不到批处理文件" in capsys.readouterr().err
    monkeypatch.setattr(batch_mod, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(ConfigError, match="无法连接 Dask 调度器"):
        batch_mod._client("tcp://127.0.0.1:1", None)
