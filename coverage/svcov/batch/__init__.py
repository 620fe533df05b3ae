"""Many district runs as one job (``svcov batch``): one task per district on Dask, halos across district borders,
re-runs that skip what has not changed, and a city summary.

A *batch file* (YAML; example ``data/batch/shanghai_16.yaml``) names a run configuration that every district starts
from (``template``) and the districts: a key (the district's folder), names, code, the filter that picks its 街镇
from the template's boundary file, and optional population settings (e.g. its census totals).

**Halos.** Walking does not stop at a district border. Every task gets, besides its own 街镇, facilities and
residents, the facilities of the other districts within ``halo_m`` of its border (the largest threshold's walk
plus ``halo_margin_m``: a walk of time T never leaves the circle of T × speed around its start, whatever the
network) and their residents within 2 × ``halo_m`` (a facility's 2SFCA ratio counts every child within reach of
it); a network file is cut 2 × ``halo_m`` around the district. Each task counts only its own residents and
facilities, so the split gives the same per-街镇 numbers as one run over the whole city (``tests/test_batch.py``).

**Scheduling.** ``scheduler="local"`` starts a ``dask.distributed.LocalCluster`` (one process per core, one thread
each; the compiled kernels use that thread); ``"tcp://HOST:8786"`` uses a running cluster; ``"serial"`` runs the
tasks one after another in this process. A district that fails is reported with its message and the others finish;
a worker that dies is replaced and its task run again by Dask.

**Re-runs.** Every district folder's ``manifest.json`` records a hash of its task (settings, the district's and its
halo's data, the rule and network files, the svcov version); a district whose hash is unchanged is skipped.

The summary (``tables/city_districts``, ``tables/city_jiezhen``, ``tables/batch_status``, ``map.html``,
``report.html/.docx``) links to each district's folder. It combines the district tables as they are, whatever
population columns they have.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import __version__, settings
from ..config import RunConfig, load_config
from ..config.fields import resolve_path
from ..errors import ConfigError, InputError, ProblemList, SvcovError, ValidationFailed
from ..files import sha256_file
from ..pipeline import LoadedInputs, data_notes
from ..yamlio import check_keys, line_of, load_yaml

__all__ = ["DistrictSpec", "BatchConfig", "Task", "Outcome", "BatchResult", "load_batch_config", "district_config",
           "halo_m", "prepare_tasks", "run_task", "run_batch", "execute", "task_hash", "SCHEDULERS", "DONE", "SKIPPED",
           "FAILED"]

log = logging.getLogger(__name__)

#: ``--scheduler`` values besides a ``tcp://HOST:PORT`` address.
SCHEDULERS = ("local", "serial")
DONE, SKIPPED, FAILED = "完成", "跳过 (输入和设置未变)", "失败"
#: Seconds to wait for a cluster's scheduler (``--scheduler tcp://...``).
CONNECT_TIMEOUT_S = 20
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DistrictSpec:
    """One district of a batch: ``key`` names its folder; ``boundary_filter`` picks its 街镇 from the template's
    boundary file; ``population`` overrides keys of the template's ``population.estimate`` (e.g. totals)."""

    key: str
    name_zh: str
    name_en: str = ""
    code: str | None = None
    boundary_filter: Mapping[str, str] = field(default_factory=dict)
    population: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchConfig:
    """A validated batch file (build it with :func:`load_batch_config`)."""

    path: Path
    name: str
    template: RunConfig
    districts: tuple[DistrictSpec, ...]
    halo_margin_m: float
    out_dir: Path
    #: The readable name of the whole (e.g. 「上海市」), in the city map's and report's titles; "" = none.
    title_zh: str = ""


_TOP_KEYS = {"batch_name", "title_zh", "template", "districts", "halo_margin_m", "outputs"}
_DISTRICT_KEYS = {"key", "name_zh", "name_en", "code", "boundary_filter", "population"}
#: A district's population overrides: ``totals`` (group key → the district's total, for the estimated surface) and
#: the estimate's settings.
_POPULATION_KEYS = {"totals", "source_zh", "compound_share", "kernel_sigma_m", "cell_size_m", "compounds",
                    "compounds_filter"}


def load_batch_config(path: str | Path) -> BatchConfig:
    """Read and validate a batch file (and its template run configuration).

    Raises
    ------
    ConfigError
        Listing every problem of the batch file with its line (the template's own problems come from
        :func:`svcov.config.load_config`).
    """
    path = Path(path)
    raw = load_yaml(path)
    p = ProblemList(str(path))
    check_keys(raw, _TOP_KEYS, "批处理 (batch)", p, required=("template", "districts"))
    base = path.resolve().parent
    template_path = resolve_path(raw.get("template"), base) if raw.get("template") else None
    if template_path is None or not template_path.is_file():
        p.add(f"找不到模板配置: {raw.get('template')}", f"template run configuration not found: {raw.get('template')}",
              row=line_of(raw, "template"), column="template", value=raw.get("template"))
    districts = _districts(raw.get("districts"), base, p, line_of(raw, "districts"))
    margin = raw.get("halo_margin_m", 500)
    if not isinstance(margin, (int, float)) or isinstance(margin, bool) or margin < 0:
        p.add("halo_margin_m 应是非负的米数。", "halo_margin_m must be metres ≥ 0", row=line_of(raw, "halo_margin_m"),
              column="halo_margin_m", value=margin)
        margin = 500
    name = str(raw.get("batch_name", path.stem))
    if not re.fullmatch(r"[\w.\-]+", name):
        p.add("batch_name 只能包含字母、数字、下划线、点和连字符。", "batch_name may only contain letters, digits, '_', '.', '-'",
              row=line_of(raw, "batch_name"), column="batch_name", value=name)
    title = raw.get("title_zh", "")
    if not isinstance(title, str) or len(title.strip()) > 40:
        p.add("title_zh 应是不超过 40 个字的名称 (例如 上海市)。", "title_zh must be a name of at most 40 characters",
              row=line_of(raw, "title_zh"), column="title_zh", value=title)
        title = ""
    outputs = raw.get("outputs") if isinstance(raw.get("outputs"), dict) else {}
    out_dir = resolve_path(outputs.get("dir", "../../outputs"), base) / name
    p.raise_if_errors(ConfigError)
    return BatchConfig(path, name, load_config(template_path), districts, float(margin), out_dir,
                       " ".join(title.split()))


def _districts(value, base: Path, p: ProblemList, line) -> tuple[DistrictSpec, ...]:
    if not isinstance(value, list) or not value:
        p.add("districts 应是区县列表。", "districts must be a list of districts", row=line, column="districts")
        return ()
    out, seen = [], set()
    for item in value:
        if not isinstance(item, dict):
            p.add("districts 的每一项应是映射 (key, name_zh, boundary_filter ...)。", "each district must be a mapping",
                  row=line, column="districts", value=item)
            continue
        check_keys(item, _DISTRICT_KEYS, "districts[]", p, required=("key", "name_zh", "boundary_filter"))
        key = str(item.get("key", ""))
        if not re.fullmatch(r"[\w.\-]+", key) or key in seen:
            p.add("区县 key 应唯一, 且只含字母、数字、下划线、点和连字符 (它是文件夹名)。",
                  "district keys must be unique and use letters, digits, '_', '.', '-' (they name folders)",
                  row=line_of(item, "key"), column="key", value=key)
        seen.add(key)
        population = item.get("population") or {}
        if isinstance(population, dict):
            check_keys(population, _POPULATION_KEYS, f"districts[{key}].population", p)
            if population.get("compounds"):
                population = {**population, "compounds": resolve_path(population["compounds"], base)}
            if isinstance(population.get("compounds_filter"), dict):
                population = {**population, "compounds_filter": MappingProxyType(
                    {str(k): str(v) for k, v in population["compounds_filter"].items()})}
        filt = item.get("boundary_filter") if isinstance(item.get("boundary_filter"), dict) else {}
        out.append(DistrictSpec(key, str(item.get("name_zh", key)), str(item.get("name_en", "")),
                                None if item.get("code") is None else str(item.get("code")),
                                {str(k): str(v) for k, v in filt.items()}, dict(population)))
    return tuple(out)


def district_config(batch: BatchConfig, spec: DistrictSpec) -> RunConfig:
    """The template configuration made the district's: names, 街镇 filter, population settings, output folder."""
    t = batch.template
    boundaries = dataclasses.replace(t.boundaries, filter={**dict(t.boundaries.filter), **spec.boundary_filter})
    population = t.population
    if spec.population and population.estimate is not None:
        settings_ = {k: v for k, v in spec.population.items() if k != "totals"}
        totals = dict(spec.population.get("totals") or {})
        groups = tuple(dataclasses.replace(g, total=float(totals[g.key])) if g.key in totals else g
                       for g in population.groups)
        population = dataclasses.replace(population, groups=groups,
                                         estimate=dataclasses.replace(population.estimate, **settings_))
    output = dataclasses.replace(t.output, dir=batch.out_dir)
    return dataclasses.replace(t, run_name=spec.key, district_name_zh=spec.name_zh,
                               district_name_en=spec.name_en or spec.name_zh, district_code=spec.code,
                               boundaries=boundaries, population=population, output=output)


def halo_m(config: RunConfig, margin_m: float) -> float:
    """How far beyond a district's border its walks can reach: the largest threshold at the walking speed (a walk
    never gets farther in a straight line than along the way) plus ``margin_m``."""
    return max(config.travel.thresholds_min) * 60.0 * config.travel.walk_speed_kph / 3.6 + float(margin_m)


# --- preparing the tasks (in the process that runs the batch) -----------------------------------------------


@dataclass
class Task:
    """One district run, with everything a worker needs besides the environment and the rule/network files."""

    key: str
    name_zh: str
    config: RunConfig
    inputs: LoadedInputs
    out_dir: Path
    task_hash: str
    network_boundary: gpd.GeoDataFrame | None = None


@dataclass
class Outcome:
    """What happened to one district: ``status`` (完成 / 跳过 / 失败), the message of a failure, its tables."""

    key: str
    name_zh: str
    status: str
    out_dir: Path
    message: str = ""
    seconds: float = 0.0
    coverage: pd.DataFrame | None = None


def prepare_tasks(batch: BatchConfig, progress: Progress | None = None) -> tuple[list[Task], list[Outcome]]:
    """Load every district's 街镇 and residents and the facility registers once, and cut each district's task
    with its halo. Districts whose own inputs fail to load are returned as failed outcomes.

    Raises
    ------
    ValidationFailed
        If a facility register (shared by all districts) has errors.
    """
    say = progress or (lambda message: None)
    from ..data.boundaries import load_boundaries

    configs = {s.key: district_config(batch, s) for s in batch.districts}
    names = {s.key: s.name_zh for s in batch.districts}
    bounds, failed = {}, []
    say(f"读取 {len(configs)} 个区的街镇边界和人口 (boundaries and population of {len(configs)} districts)")
    for key, cfg in configs.items():
        try:
            bounds[key] = load_boundaries(cfg.boundaries, crs_metric=cfg.crs_metric)
        except (InputError, ValidationFailed) as exc:
            failed.append(Outcome(key, names[key], FAILED, batch.out_dir / key, message=str(exc)))
    own = {}
    for keys in _population_groups(configs, bounds):
        try:
            for key, demand in _load_demand(configs[keys[0]].population, {k: bounds[k] for k in keys}).items():
                own[key] = (bounds[key], demand)
        except (InputError, ValidationFailed) as exc:
            failed += [Outcome(k, names[k], FAILED, batch.out_dir / k, message=str(exc)) for k in keys]
    if not own:
        return [], failed
    crs = next(iter(own.values()))[0].crs
    city = gpd.GeoDataFrame(pd.concat([b.assign(district=k) for k, (b, _) in own.items()], ignore_index=True), crs=crs)
    try:  # every 街镇 of the template's file: facilities of districts that failed (or are not in the batch) stay
        whole = load_boundaries(batch.template.boundaries, crs_metric=batch.template.crs_metric).to_crs(crs)
    except InputError as exc:
        raise ValidationFailed([exc]) from None
    facilities = _city_facilities(batch.template, whole, city)
    tasks = [_task(batch, configs[s.key], s, own, city, facilities) for s in batch.districts if s.key in own]
    return tasks, failed


def _population_groups(configs: dict, bounds: dict) -> list[list[str]]:
    """Districts (with boundaries) that read the same population source: loaded once, over all their 街镇, so a
    point near a border goes to one district only."""
    groups: dict[str, list[str]] = {}
    for key, cfg in configs.items():
        if key in bounds:
            groups.setdefault(repr(cfg.population), []).append(key)
    return list(groups.values())


def _load_demand(population, bounds: dict) -> dict[str, gpd.GeoDataFrame]:
    """Demand of each district in ``bounds`` from one population source (estimates: per district)."""
    from ..data.population import load_population

    if population.kind == "estimate" or len(bounds) == 1:
        return {k: load_population(population, b) for k, b in bounds.items()}
    union = gpd.GeoDataFrame(pd.concat([b.assign(district=k) for k, b in bounds.items()], ignore_index=True),
                             crs=next(iter(bounds.values())).crs)
    demand = load_population(population, union.drop(columns="district"))
    district = demand["jiezhen_code"].astype(str).map(dict(zip(union["jiezhen_code"].astype(str), union["district"])))
    return {k: demand[(district == k).to_numpy()].reset_index(drop=True) for k in bounds}


def _city_facilities(template: RunConfig, whole: gpd.GeoDataFrame, city: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The registers of the template, placed in the 街镇 of the template's boundary file (``whole``), with the
    batch district they fall in (``district``; missing for 街镇 of no district that loaded)."""
    from ..data.facilities import combine_facilities, load_facilities

    frames, errors = [], []
    for source in template.facilities:
        try:
            frame = load_facilities(source, template.facility_types, whole, attributes=template.attributes,
                                    column_aliases=template.column_aliases)
            frame.attrs.clear()
            frames.append(frame)
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    facilities = combine_facilities(frames)
    district_of = dict(zip(city["jiezhen_code"].astype(str), city["district"]))
    return facilities.assign(district=facilities["jiezhen_code"].astype(str).map(district_of))


def _task(batch: BatchConfig, cfg: RunConfig, spec: DistrictSpec, own: dict, city: gpd.GeoDataFrame,
          facilities: gpd.GeoDataFrame) -> Task:
    boundaries, demand = own[spec.key]
    reach = halo_m(cfg, batch.halo_margin_m)
    border = boundaries.geometry.union_all()
    is_own = (facilities["district"] == spec.key).to_numpy()
    near = facilities.geometry.distance(border).to_numpy() <= reach
    others = pd.concat([d for k, (_, d) in own.items() if k != spec.key], ignore_index=True) \
        if len(own) > 1 else demand.iloc[0:0]
    others = gpd.GeoDataFrame(others, geometry="geometry", crs=demand.crs)
    keep = others.geometry.distance(border).to_numpy() <= 2 * reach if len(others) else np.zeros(0, dtype=bool)
    strip = _drop(facilities)
    inputs = LoadedInputs(cfg, boundaries, strip.iloc[np.flatnonzero(is_own)].reset_index(drop=True),
                          _drop(demand).reset_index(drop=True),
                          neighbours=strip.iloc[np.flatnonzero(~is_own & near)].reset_index(drop=True),
                          neighbour_demand=_drop(others).iloc[np.flatnonzero(keep)].reset_index(drop=True))
    network_boundary = None
    if cfg.network.source is not None:
        network_boundary = gpd.GeoDataFrame(geometry=[border.buffer(2 * reach)], crs=boundaries.crs)
    task = Task(spec.key, spec.name_zh, cfg, inputs, batch.out_dir / spec.key, "", network_boundary)
    task.task_hash = task_hash(task)
    return task


def _drop(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.drop(columns=["district"]) if "district" in frame.columns else frame


def task_hash(task: Task) -> str:
    """SHA-256 of what a district's results depend on: settings, data (own and halo), rule and network files."""
    from ..pipeline import _config_settings

    digest = hashlib.sha256()
    digest.update(json.dumps({"svcov": __version__, "settings": _config_settings(task.config)}, sort_keys=True,
                             ensure_ascii=False, default=str).encode("utf-8"))
    inputs = task.inputs
    for frame in (inputs.boundaries, inputs.facilities, inputs.demand, inputs.neighbours, inputs.neighbour_demand):
        if frame is not None:
            plain = pd.DataFrame(frame.drop(columns="geometry")).astype(str)
            digest.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
            digest.update(b"".join(frame.geometry.to_wkb()))
    for path in (task.config.rules_path, task.config.network.source, task.config.path):
        if path is not None and Path(str(path)).is_file():
            digest.update(sha256_file(path).encode("ascii"))
    return digest.hexdigest()


def _unchanged(task: Task) -> bool:
    manifest = task.out_dir / "manifest.json"
    try:
        saved = json.loads(manifest.read_text(encoding="utf-8"))["settings"]["batch"]["task_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return saved == task.task_hash


# --- running one task (on a worker) ------------------------------------------------------------------------


def run_task(task: Task, *, threads: int | None = None) -> Outcome:
    """Run one district (``svcov.pipeline.run`` with its halo) and return its outcome; never raises for a problem
    with the district's inputs: the message is in the outcome, so the other districts go on."""
    from ..pipeline import run

    start = time.perf_counter()
    previous = settings.access_threads
    if threads is not None:
        settings.access_threads = threads
    try:
        network = _task_network(task)
        result = run(task.config, out_dir=task.out_dir, inputs=task.inputs, network=network,
                     manifest_extra={"batch": {"task_hash": task.task_hash, "district": task.key,
                                               "n_neighbour_facilities": len(task.inputs.neighbours),
                                               "n_neighbour_demand": len(task.inputs.neighbour_demand)}})
        return Outcome(task.key, task.name_zh, DONE, result.out_dir, seconds=time.perf_counter() - start,
                       coverage=result.tables["coverage"])
    except SvcovError as exc:
        return Outcome(task.key, task.name_zh, FAILED, task.out_dir, str(exc), time.perf_counter() - start)
    except Exception as exc:  # a bug in one district must not stop the others; the message names it
        log.exception("district %s failed", task.key)
        return Outcome(task.key, task.name_zh, FAILED, task.out_dir,
                       f"内部错误 (internal error) {type(exc).__name__}: {exc}", time.perf_counter() - start)
    finally:
        settings.access_threads = previous


def _task_network(task: Task):
    if task.network_boundary is None:
        return None
    from ..access.stage import default_cache_dir
    from ..network.build import clip_network
    from ..network.sources import load_network

    net = task.config.network
    whole = load_network(net.source, crs_metric=task.inputs.boundaries.crs, boundary=task.network_boundary,
                         place=net.place, cache_dir=default_cache_dir(task.config),
                         snap_tolerance_m=net.snap_tolerance_m, split_crossings=net.split_crossings)
    area = task.network_boundary.to_crs(whole.crs).geometry.union_all()
    return clip_network(whole, area, note_zh="批处理: 只保留本区及其外 2 倍可达距离内的路段 (跨区步行所需的全部路网)。")


def _worker_task(task: Task) -> Outcome:
    """:func:`run_task` on a Dask worker: the kernels use the worker's threads."""
    try:
        from distributed import get_worker

        threads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        threads = 1
    return run_task(task, threads=threads)


# --- the job ---------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """Outcomes of every district, the summary tables and where they are."""

    outcomes: list[Outcome]
    districts: pd.DataFrame
    jiezhen: pd.DataFrame
    status: pd.DataFrame
    out_dir: Path
    seconds: float

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]


def execute(tasks: Sequence[Task], scheduler: str = "local", *, n_workers: int | None = None,
            fn: Callable[[Task], Outcome] | None = None, progress: Progress | None = None) -> list[Outcome]:
    """Run tasks one per district: in this process (``"serial"``), on a LocalCluster (``"local"``) or on the
    cluster at a ``tcp://HOST:PORT`` address. ``fn`` replaces :func:`run_task` (tests inject faults with it)."""
    say = progress or (lambda message: None)
    if scheduler == "serial":
        out = []
        for task in tasks:
            say(f"区 {task.name_zh} ({task.key})")
            out.append((fn or run_task)(task))
        return out
    client, cluster = _client(scheduler, n_workers)
    try:
        return _gather(client, tasks, fn or _worker_task, say)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _client(scheduler: str, n_workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ConfigError("scheduler", [_problem("svcov batch 需要 Dask: pip install dask distributed",
                                                 f"svcov batch needs Dask: pip install dask distributed ({exc})")
                                        ]) from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    if not re.fullmatch(r"(tcp|tls)://[\w.\-\[\]:]+", scheduler):
        raise ConfigError("--scheduler", [_problem(
            f"--scheduler 应是 local、serial 或调度器地址 tcp://主机:8786, 而不是「{scheduler}」。",
            f"--scheduler must be local, serial or a scheduler address tcp://HOST:8786, not {scheduler!r}")])
    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s"), None
    except OSError as exc:
        raise ConfigError("--scheduler", [_problem(
            f"无法连接 Dask 调度器 {scheduler}: {exc}。请确认调度器已启动、地址和端口正确。",
            f"cannot reach the Dask scheduler at {scheduler}: {exc}")]) from None


def _problem(zh: str, en: str):
    from ..errors import Problem

    return Problem("svcov batch", zh, en)


def _gather(client, tasks: Sequence[Task], fn, say: Progress) -> list[Outcome]:
    from distributed import as_completed

    futures = {client.submit(fn, task, key=f"svcov-{task.key}-{task.task_hash[:12]}", pure=False): task
               for task in tasks}
    out = []
    for future in as_completed(futures):
        task = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # e.g. KilledWorker after repeated worker deaths: report, go on
            outcome = Outcome(task.key, task.name_zh, FAILED, task.out_dir, f"{type(exc).__name__}: {exc}")
        say(f"区 {task.name_zh} ({task.key}): {outcome.status}"
            + (f" — {outcome.message.splitlines()[0]}" if outcome.message else ""))
        out.append(outcome)
    order = {t.key: i for i, t in enumerate(tasks)}
    return sorted(out, key=lambda o: order[o.key])


def run_batch(batch: BatchConfig, *, scheduler: str = "local", n_workers: int | None = None, force: bool = False,
              progress: Progress | None = None, fn: Callable[[Task], Outcome] | None = None) -> BatchResult:
    """Run every district of the batch and write the city summary.

    Parameters
    ----------
    batch
        From :func:`load_batch_config`.
    scheduler
        ``"local"`` (a LocalCluster), ``"serial"`` or ``"tcp://HOST:PORT"``.
    n_workers
        Workers of the LocalCluster (default: one per core).
    force
        Run every district even if its inputs and settings are unchanged.
    progress
        Called with a short Chinese line per step and district.

    Returns
    -------
    BatchResult
    """
    say = progress or (lambda message: None)
    start = time.perf_counter()
    tasks, failed = prepare_tasks(batch, say)
    skipped = [] if force else [t for t in tasks if _unchanged(t)]
    todo = [t for t in tasks if t not in skipped]
    for t in skipped:
        say(f"区 {t.name_zh} ({t.key}): {SKIPPED}")
    say(f"运行 {len(todo)} 个区 ({scheduler}); 跳过 {len(skipped)} 个 (running {len(todo)} districts)")
    outcomes = execute(todo, scheduler, n_workers=n_workers, fn=fn, progress=say) if todo else []
    outcomes += [Outcome(t.key, t.name_zh, SKIPPED, t.out_dir, coverage=_saved_coverage(t.out_dir, t.config))
                 for t in skipped]
    outcomes += failed
    order = {s.key: i for i, s in enumerate(batch.districts)}
    outcomes.sort(key=lambda o: order[o.key])
    from .summary import write_summary

    say("写出全市汇总 (city summary)")
    tables = write_summary(batch, tasks, outcomes, notes=_city_notes(tasks))
    return BatchResult(outcomes, *tables, batch.out_dir, time.perf_counter() - start)


def _city_notes(tasks: Sequence[Task]) -> list[str]:
    """The data notes shared by the districts (the first district's, without its own population line), and one
    line on the population of all of them."""
    if not tasks:
        return []
    notes = [n for n in data_notes(tasks[0].inputs) if "人口" not in n]
    if any(t.inputs.population_is_estimate for t in tasks):
        groups = "和".join(g.name_zh for g in tasks[0].config.population.groups)
        notes.insert(1, f"估算: 各区{groups}分布是估算值 (各区总数分布到网格), 不是实际统计; 见各区报告。")
    return notes


def _saved_coverage(folder: Path, config: RunConfig) -> pd.DataFrame | None:
    """The coverage table of a finished district folder (``tables/coverage.csv``, its Chinese headers and service
    kinds turned back into the contract's names, :func:`svcov.pipeline.coverage_labels`)."""
    from ..outputs.tables import COLUMN_LABELS_ZH
    from ..pipeline import SERVICE_KINDS_ZH, coverage_labels

    path = folder / "tables" / "coverage.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"街镇代码": str})
    back = {zh: key for key, zh in {**COLUMN_LABELS_ZH, **coverage_labels(config)}.items()}
    frame = frame.rename(columns=lambda c: back.get(c, c))
    if "service_kind" in frame.columns:
        frame["service_kind"] = frame["service_kind"].replace({zh: k for k, zh in SERVICE_KINDS_ZH.items()})
    return frame


