"""The ``svcov`` command line: parse arguments, set up logging and progress, call the pipeline, turn errors into
messages. Nothing imports this module.

Exit status (:data:`EXIT_CODES`): 0 done; 1 a problem with the inputs, the settings or the machine (disk full, no
permission, a file open in Excel), with a message naming the file or setting and the fix; 2 wrong arguments; 3 an
internal error, i.e. a bug in svcov: one line says so and where the full traceback was saved (a crash log, see
:func:`crash_log_dir`); 130 interrupted (Ctrl+C). ``--debug`` prints the traceback of any error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from . import __version__
from .config import default_config_path, load_config
from .errors import InputError, SvcovError, ValidationFailed, os_error_text
from .vocabulary import SITING_METHODS, SITING_MODELS, STAGES, normalise_coord_system

log = logging.getLogger("svcov.cli")

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: What each exit status means (README, docs/DEVELOPING.md).
EXIT_CODES = {EXIT_OK: "完成 (done)",
              EXIT_PROBLEM: "输入、配置或电脑的问题, 信息中写明文件/设置和改法 (a problem with the inputs, settings or "
                            "machine; the message says what to fix)",
              EXIT_USAGE: "命令参数错误 (wrong arguments)",
              EXIT_BUG: "svcov 内部错误 (程序缺陷), 完整信息保存在崩溃日志中 (an internal error: a bug; see the crash log)",
              EXIT_INTERRUPTED: "被中断 (interrupted, Ctrl+C)"}

DESCRIPTION = """svcov: 15 分钟社区服务圈覆盖分析、布局规则检查与选址 (15-minute service coverage, layout rules, siting).

常用 (common):
  svcov validate                      检查默认配置的全部输入 (check every input of the default config)
  svcov validate --facilities 名册.xlsx --coords gcj02
                                      检查一个设施名册 (check one register; coordinates from Amap)
  svcov check --year 2023             逐街镇检查规划布局规则 (check the plan's layout rules per 街镇)
  svcov run                           运行全部分析, 写到 outputs/ (run everything, write to outputs/)
  svcov run --skip siting             跳过选址 (skip a stage: access, rules, siting, documents)
  svcov site --model mclp --k 7 --year 2022
                                      只做选址: 2022 年新增 7 个点 (siting only: 7 new sites in 2022)
  svcov site --target-share 0.9       覆盖 90% 的服务人群最少需要几个点 (fewest sites for 90% coverage)
  svcov batch data/batch/shanghai_16.yaml
                                      多区一次运行 (Dask; many districts as one job)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="svcov", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"svcov {__version__}")
    parser.add_argument("--debug", action="store_true", help="出错时显示完整的调用栈 (show tracebacks)")
    sub = parser.add_subparsers(dest="command", metavar="命令 (command)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="出错时显示完整的调用栈 (show tracebacks)")
    common.add_argument("--config", "-c", type=Path, default=None,
                        help="运行配置 YAML (run configuration); 默认 data/config/songjiang.yaml")
    common.add_argument("-v", "--verbose", action="store_true", help="显示调试信息 (debug logging)")
    common.add_argument("-q", "--quiet", action="store_true", help="只显示警告和错误 (warnings and errors only)")
    _add_validate(sub, common)
    _add_check(sub, common)
    _add_run(sub, common)
    _add_site(sub, common)
    _add_batch(sub, common)
    return parser


def _add_batch(sub, common) -> None:
    p = sub.add_parser("batch", parents=[common], help="多个区一次运行, 可用 Dask 集群 (many districts as one job, on Dask)",
                       description="按批处理文件 (如 data/batch/shanghai_16.yaml) 逐区运行全部分析, 每区一个任务; 跨区边界的"
                                   "邻区设施和人口一并计入可达性, 只统计本区居民。输入和设置未变的区会跳过。最后写出全市汇总 "
                                   "(各区、各街镇表格, 全市地图和报告, 链接到各区文件夹)。")
    p.add_argument("batch_file", type=Path, metavar="BATCH.yaml", help="批处理文件 (batch file)")
    p.add_argument("--scheduler", default="local", metavar="WHERE",
                   help="local: 本机 Dask LocalCluster, 每核一个进程 (默认); serial: 本进程逐区运行; "
                        "tcp://主机:8786: 已启动的 Dask 集群调度器")
    p.add_argument("--workers", type=_positive_int, metavar="N", help="local 集群的进程数 (默认每核一个)")
    p.add_argument("--force", action="store_true", help="全部重算, 不跳过未变的区 (re-run every district)")
    p.set_defaults(func=_cmd_batch)


def _cmd_batch(args) -> int:
    from .batch import FAILED, SCHEDULERS, load_batch_config, run_batch
    from .errors import ConfigError, Problem

    if args.scheduler not in SCHEDULERS and not args.scheduler.startswith(("tcp://", "tls://")):
        raise ConfigError("--scheduler", [Problem("--scheduler", f"--scheduler 应是 local、serial 或 tcp://主机:端口, "
                                                  f"而不是「{args.scheduler}」。",
                                                  "--scheduler must be local, serial or tcp://HOST:PORT")])
    if not args.batch_file.is_file():
        raise ConfigError(str(args.batch_file), [Problem(str(args.batch_file), "找不到批处理文件。",
                                                         "the batch file was not found")])
    batch = load_batch_config(args.batch_file)
    start = time.perf_counter()
    result = run_batch(batch, scheduler=args.scheduler, n_workers=args.workers, force=args.force,
                       progress=lambda m: print(f"[{time.perf_counter() - start:.0f} s] {m}", file=sys.stderr,
                                                flush=True))
    for o in result.outcomes:
        line = f"  {o.name_zh} ({o.key}): {o.status}" + (f" ({o.seconds:.1f} 秒)" if o.seconds else "")
        print(line + ("".join(f"\n    {m}" for m in o.message.splitlines()) if o.status == FAILED else ""))
    print(f"完成 (done) in {result.seconds:.1f} s: {result.out_dir} (全市汇总: map.html, report.html, tables/)")
    return 1 if result.failed else 0


def _add_validate(sub, common) -> None:
    p = sub.add_parser("validate", parents=[common], help="检查输入数据, 不写任何文件 (check inputs; writes nothing)",
                       description="检查输入文件, 一次列出每个文件的全部问题 (行、列、值、如何修改)。有错误时退出码为 1。")
    p.add_argument("--facilities", nargs="+", type=Path, metavar="FILE",
                   help="只检查这些设施文件 (CSV/XLSX/GeoJSON/GPKG/SHP)")
    p.add_argument("--coords", metavar="SYS", type=_coord_system,
                   help="--facilities 的坐标系: wgs84、gcj02 (高德/腾讯)、bd09 (百度)")
    p.add_argument("--boundaries", type=Path, metavar="FILE", help="只检查这个街镇边界文件")
    p.add_argument("--network", type=Path, metavar="FILE",
                   help="同时检查这个路网文件是否覆盖本区 (替代配置中的 network.source) (check a road network's fit)")
    p.set_defaults(func=_cmd_validate)


def _add_run(sub, common) -> None:
    p = sub.add_parser("run", parents=[common], help="运行全部分析并写出结果 (run and write outputs)",
                       description="读取配置中的全部输入, 运行分析, 把结果写入运行文件夹 (默认 outputs/<run_name>)。"
                                   "失败时不会留下写了一半的文件。")
    p.add_argument("--out", type=Path, metavar="DIR", help="运行文件夹 (默认 outputs/<run_name>)")
    p.add_argument("--scenario", type=Path, metavar="FILE", action="append", default=[],
                   help="情景文件 (YAML: add 增加的设施名册, close 关闭的设施编号, travel 出行设置), 可重复给出; 结果写入 "
                        "tables/scenario_comparison、地图和报告附录 (what-if scenario file; repeatable)")
    p.add_argument("--network", type=Path, metavar="FILE",
                   help="路网文件, 替代配置中的 network.source: OSM XML (.osm/.osm.bz2)、PBF (.osm.pbf)、osmnx GraphML "
                        "(.graphml) 或道路中心线 (.shp/.gpkg/.geojson) (road network file)")
    stages = p.add_mutually_exclusive_group()
    stages.add_argument("--skip", nargs="+", choices=STAGES, default=(), metavar="STAGE",
                        help=f"跳过这些步骤 ({', '.join(STAGES)}); 数据总是读入并汇总 (skip stages)")
    stages.add_argument("--only", nargs="+", choices=STAGES, metavar="STAGE",
                        help="只做这些步骤 (only these stages; the data are always loaded)")
    p.set_defaults(func=_cmd_run)


def _add_check(sub, common) -> None:
    p = sub.add_parser("check", parents=[common], help="检查规划布局规则 (check the plan's layout rules)",
                       description="逐街镇、逐年检查规则文件中的布局目标 (如每个街镇至少一处某类设施), 打印中文结果表, 并写出 "
                                   "CSV 和 XLSX (rule_status: 各年全部结果; rule_pivot_<年份>: 街镇×规则; rule_summary: "
                                   "各规则达标街镇数)。")
    p.add_argument("--year", type=int, metavar="YEAR", help="显示哪一年 (默认配置的 report_year)")
    p.add_argument("--rules", type=Path, metavar="FILE", help="规则文件 (默认配置中的 rules)")
    p.add_argument("--out", type=Path, metavar="DIR", help="输出文件夹 (默认 outputs/<run_name>_check)")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args) -> int:
    from .check import check
    from .rules.tables import status_text

    config = _config(args)
    result = check(config, year=args.year, rules_path=args.rules, out_dir=args.out)
    title = (f"{config.district_name_zh} {result.year} 年布局规则检查"
             + (f" ({result.rules.plan_name_zh})" if result.rules.plan_name_zh else ""))
    print(status_text(result.status, result.year, title=title))
    print(f"\n已写出 (written) {result.out_dir}:")
    for path in result.written:
        print(f"  {path.name}")
    return 0


def _add_site(sub, common) -> None:
    p = sub.add_parser("site", parents=[common], help="只做选址, 写出建议点位 (siting only: propose new sites)",
                       description="按配置的 siting 设置 (可用下列参数覆盖) 求解选址模型, 写出建议点位表、覆盖率变化、"
                                   "求解诊断和 siting.gpkg。默认写到 outputs/<run_name>-site。")
    p.add_argument("--model", choices=SITING_MODELS,
                   help="mclp 最大覆盖 / lscp 最少点数 / p_median 最短时间 / capacitated 容量约束 / p_center 最远者最近 "
                        "(默认取配置)")
    p.add_argument("--k", type=_positive_int, metavar="N", help="新增点数 (number of new sites); 默认按配置的 sites_per_year")
    p.add_argument("--year", type=int, metavar="YYYY", help="规划年份 (plan year); 不给则按配置的多年计划")
    p.add_argument("--method", choices=SITING_METHODS, help="mip 精确求解 / heuristic 启发式")
    p.add_argument("--time-limit", type=float, metavar="S", dest="time_limit_s", help="求解时间上限 (秒)")
    p.add_argument("--target-share", type=_share, metavar="X", dest="target_share",
                   help="最少需要几个新增点才能使覆盖率达到 X (0-1, 例如 0.9 = 90%%): 按集合覆盖模型 (lscp) 一轮求解, 不限点数 "
                        "(给出 --k 时最多 k 个) (fewest new sites for this share)")
    p.add_argument("--candidates", type=Path, metavar="FILE",
                   help="候选点文件 (CSV/XLSX/GeoJSON...: 街镇提供的空置用房等), 加入配置的候选点")
    p.add_argument("--coords", metavar="SYS", type=_coord_system, help="--candidates 的坐标系: wgs84、gcj02 (高德)、bd09 (百度)")
    p.add_argument("--out", type=Path, metavar="DIR", help="输出文件夹 (默认 outputs/<run_name>-site)")
    p.set_defaults(func=_cmd_site)


def _cmd_site(args) -> int:
    from .pipeline import site

    config = _config(args)
    start = time.perf_counter()
    overrides = {k: getattr(args, k) for k in ("model", "k", "year", "method", "time_limit_s", "target_share")
                 if getattr(args, k) is not None}
    result = site(config, out_dir=args.out, candidates_file=args.candidates, coords=args.coords,
                  progress=lambda m: print(f"[{time.perf_counter() - start:.0f} s] {m}", file=sys.stderr, flush=True),
                  **overrides)
    _print_warnings(result.inputs.warnings)
    sites, diag = result.tables.get("proposed_sites"), result.tables.get("siting_diagnostics")
    if diag is not None and len(diag):
        d = diag.iloc[0]
        print(f"{d['model_name_zh']}: {d['status']}, 目标值 {d['objective']:,.1f} ({d['objective_label_zh']}), "
              f"界 {d['best_bound']:,.1f}, 差距 {d['gap']:.4%}, 用时 {d['time_s']:.1f} 秒")
    if args.target_share is not None and diag is not None and len(diag):
        d = diag.iloc[0]
        proven = "已证明最少" if d["status"] == "optimal" else f"未证明最少, 至少需要 {d['best_bound']:.0f} 个"
        who, how = config.served_group.name_zh, config.travel.primary.name_zh
        who = f" {who}" if who[:1].isascii() and who[:1].isalnum() else who
        print(f"使 {args.target_share:.1%} 的{who}在{how} {config.siting.threshold_min} 分钟内可达, 最少需要 "
              f"{int(d['n_new_sites'])} 个新增点 ({proven}) (fewest new sites for {args.target_share:.1%})")
    for _, s in (sites.iterrows() if sites is not None else []):
        print(f"  {s['site_id']}  {s['jiezhen_name']}  {s['candidate_name']}  新增覆盖 {s['pop_newly_covered']:,.0f} "
              f"{config.served_group.unit_zh}"
              f"  全区 {s['district_share_before']:.1%} → {s['district_share_after']:.1%}")
    print(f"完成 (done) in {time.perf_counter() - start:.1f} s: {result.out_dir}")
    return 0


def _share(text: str) -> float:
    """argparse type: a share in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"应是 0 到 1 之间的比例, 例如 0.9 (must be a share in (0, 1]): {text!r}")
    return value


def _positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"应是不小于 1 的整数 (must be a whole number ≥ 1): {text!r}")
    return value


def _coord_system(text: str) -> str:
    """argparse type: a coordinate system in any accepted spelling → wgs84, gcj02 or bd09."""
    system = normalise_coord_system(text)
    if system is None:
        raise argparse.ArgumentTypeError(f"未知的坐标系 {text!r}: 可用 wgs84、gcj02 (高德/腾讯)、bd09 (百度) "
                                         f"(unknown coordinate system {text!r}: use wgs84, gcj02 or bd09)")
    return system


def _setup_logging(args) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if args.verbose
                                           else "%(message)s"))
    root = logging.getLogger("svcov")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _config(args):
    path = args.config or default_config_path()
    log.debug("config: %s", path)
    return load_config(path)


def _print_warnings(problems, limit: int = 20) -> None:
    warnings = [p for p in problems if p.severity == "warning"]
    if not warnings:
        return
    by_file: dict[str, list] = {}
    for w in warnings:
        by_file.setdefault(w.file, []).append(w)
    for file, items in by_file.items():
        print(f"文件 {file} 有 {len(items)} 个警告 (warnings):", file=sys.stderr)
        for w in items[:limit]:
            print(w.format(), file=sys.stderr)
        if len(items) > limit:
            print(f"  ... 另有 {len(items) - limit} 个警告 ({len(items) - limit} more)", file=sys.stderr)


def _cmd_validate(args) -> int:
    from .data.boundaries import load_boundaries
    from .pipeline import load_inputs

    config = _with_network(_config(args), getattr(args, "network", None))
    if args.boundaries and not args.facilities:
        b = load_boundaries(args.boundaries, crs_metric=config.crs_metric)
        _print_warnings(b.attrs.get("problems", []))
        for note in b.attrs.get("notes", []):
            print(f"说明 (note): {note}")
        print(f"通过 (OK): {args.boundaries}: {len(b)} 个街镇, 面积合计 {b['area_km2'].sum():.1f} 平方公里")
        return 0
    if args.facilities:
        return _validate_facilities(args, config)
    from .pipeline import load_run_rules

    rules = load_run_rules(config)
    inputs = load_inputs(config)
    _print_warnings(inputs.warnings)
    for note in inputs.notes:
        print(f"说明 (note): {note}")
    if rules is not None:
        print(f"通过 (OK): {rules.path}: {len(rules.rules)} 条布局规则")
    group = config.served_group
    print(f"通过 (OK): {config.path}: {len(inputs.boundaries)} 个街镇, {len(inputs.facilities)} 个设施, "
          f"{len(inputs.demand)} 个人口网格/点 ({group.name_zh} {inputs.demand[group.key].sum():,.0f} {group.unit_zh}"
          f"{', 估算' if inputs.population_is_estimate else ''})")
    if config.network.source is not None:
        _validate_network(inputs)
    return 0


def _validate_facilities(args, config) -> int:
    from .data.boundaries import load_boundaries
    from .data.facilities import load_facilities

    types_file = config.facility_types_path or config.path
    if args.config is None:
        print(f"设施类型 (types): {types_file} (默认配置 {config.path.name} 的类型文件; 其他服务或区县请用 --config 指定配置)",
              file=sys.stderr)
    else:
        print(f"设施类型 (types): {types_file}", file=sys.stderr)
    boundaries = load_boundaries(args.boundaries or config.boundaries, crs_metric=config.crs_metric)
    errors = []
    for path in args.facilities:
        try:
            frame = load_facilities(path, config.facility_types, boundaries, attributes=config.attributes,
                                    column_aliases=config.column_aliases, coord_system=args.coords)
        except InputError as exc:
            errors.append(exc)
            continue
        _print_warnings(frame.attrs.get("problems", []))
        counts = frame["type_name_zh"].value_counts()
        print(f"通过 (OK): {path}: {len(frame)} 条记录 (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")
    if errors:
        raise ValidationFailed(errors)
    return 0


def _validate_network(inputs) -> None:
    """Load the configured network and check its fit (raises NetworkFitError below network.min_fit_share)."""
    from .access.fit import drive_network_note
    from .access.stage import fit_table, load_run_network, travel_models
    from .outputs.context import spaced

    config = inputs.config
    network = load_run_network(config, inputs.boundaries)
    model = next(iter(travel_models(config, inputs.boundaries, network).values()))
    drive = drive_network_note(network)
    if drive:
        print(f"[警告 warning] {drive}", file=sys.stderr)
    table = fit_table(config, model, inputs.boundaries, inputs.demand, inputs.facilities)
    d = table.iloc[-1]
    print(f"通过 (OK): 路网 {network.source_zh}: 全区面积的 {d['area_share_in_network']:.0%} 在路网范围内, "
          f"{d['pop_share_on_network']:.0%} 的{spaced(config.served_group.name_zh)}和 {d['n_facilities_on_network']}/"
          f"{d['n_facilities']} 个设施距道路不超过 {model.snap_max_m:g} 米 (network fit)")


def _with_network(config, path: Path | None):
    """The configuration with ``network.source`` replaced by ``--network FILE``."""
    if path is None:
        return config
    import dataclasses

    from .errors import ConfigError, Problem

    if not path.is_file():
        raise ConfigError(str(path), [Problem(str(path), "找不到 --network 指定的路网文件。",
                                              "the --network file was not found")])
    return dataclasses.replace(config, network=dataclasses.replace(config.network, source=path.resolve()))


def _with_scenarios(config, paths: list[Path]):
    """The configuration with the ``--scenario`` files added to its ``scenarios``."""
    if not paths:
        return config
    import dataclasses

    from .config import load_scenario

    keys = {t.key for t in config.facility_types}
    added = tuple(load_scenario(path, keys, config.travel) for path in paths)
    names = [s.name for s in config.scenarios + added]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        from .errors import ConfigError, Problem

        raise ConfigError(str(paths[0]), [Problem(str(paths[0]), f"情景代码重复: {', '.join(repeated)}。",
                                                  f"repeated scenario names: {', '.join(repeated)}")])
    return dataclasses.replace(config, scenarios=config.scenarios + added)


def _cmd_run(args) -> int:
    from .pipeline import run

    config = _with_scenarios(_with_network(_config(args), args.network), args.scenario)
    start = time.perf_counter()
    steps = [0]

    def progress(message: str) -> None:
        steps[0] += 1
        print(f"[{steps[0]}] {message} ... ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)

    result = run(config, out_dir=args.out, progress=progress, skip=tuple(args.skip or ()),
                 only=tuple(args.only) if args.only else None)
    _print_warnings(result.inputs.warnings)
    if result.siting_problem:
        print(f"[警告 warning] 选址未完成, 其余结果已写出 (siting did not finish; everything else was written):\n"
              f"{result.siting_problem}\n  见 tables/siting_diagnostics 和报告的「建议新增点位」一节。", file=sys.stderr)
    print(f"完成 (done) in {time.perf_counter() - start:.1f} s: {result.out_dir}")
    for path in sorted(result.out_dir.rglob("*")):
        if path.is_file():
            print(f"  {path.relative_to(result.out_dir).as_posix()}  ({path.stat().st_size:,} bytes)")
    return 0


def crash_log_dir() -> Path:
    """Where crash logs go: ``SVCOV_LOG_DIR`` if set; else ``%LOCALAPPDATA%\\svcov\\logs`` on Windows,
    ``~/Library/Logs/svcov`` on macOS, ``$XDG_STATE_HOME/svcov/logs`` (``~/.local/state/svcov/logs``) elsewhere."""
    if os.environ.get("SVCOV_LOG_DIR"):
        return Path(os.environ["SVCOV_LOG_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "svcov" / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "svcov"
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "svcov" / "logs"


def _save_crash_log(exc: BaseException, argv: list[str] | None) -> Path | None:
    """Write the traceback, the command and the versions to a new crash log; its path (``None`` if unwritable)."""
    import tempfile

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join([f"svcov {__version__} crash log, {stamp}\n", f"python {sys.version.split()[0]} on "
                    f"{platform.platform()}\n", f"command: svcov {' '.join(sys.argv[1:] if argv is None else argv)}"
                    "\n\n", *traceback.format_exception(type(exc), exc, exc.__traceback__)])
    for folder in (crash_log_dir(), Path(tempfile.gettempdir()) / "svcov-logs"):
        path = folder / f"svcov-crash-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _safe_console() -> None:
    """Never fail on printing: a Chinese Windows console (GBK) cannot show every character of a register."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or unusual stream
                reconfigure(errors="replace")


def _report(exc: BaseException, argv: list[str] | None, debug: bool) -> int:
    """Print one error as a message; the exit status it means."""
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    if isinstance(exc, SvcovError):
        print(f"错误 (error): {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    if isinstance(exc, OSError):  # the machine: disk full, permissions, a file held open by another program
        zh, en = os_error_text(exc)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"错误 (error): {where}{zh} ({where}{en})", file=sys.stderr)
        return EXIT_PROBLEM
    if isinstance(exc, MemoryError):
        print("错误 (error): 内存不足; 请关闭其他程序, 或缩小分析范围 (网格边长、阈值) 后重试 (out of memory: close other "
              "programs or make the job smaller)", file=sys.stderr)
        return EXIT_PROBLEM
    log_path = _save_crash_log(exc, argv)
    what = f"{type(exc).__name__}: {exc}"
    what = what if len(what) <= 160 else what[:157] + "..."
    saved_zh = f"完整信息已保存到 {log_path}" if log_path else "无法保存崩溃日志, 请用 --debug 重新运行以显示完整信息"
    saved_en = f"full traceback saved to {log_path}" if log_path else "no crash log could be saved; rerun with --debug"
    print(f"内部错误 (svcov 的程序缺陷, 不是您的数据的问题): {what}。{saved_zh}, 请把它发给开发者。"
          f" (internal error, a bug in svcov; {saved_en}: please report it)", file=sys.stderr)
    return EXIT_BUG


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``svcov`` and ``python -m svcov``; returns the exit status (:data:`EXIT_CODES`)."""
    _safe_console()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    _setup_logging(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断 (interrupted); 没有写出不完整的文件。", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `svcov check | head`: the reader went away; not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # every failure becomes a message; a bug also leaves a crash log
        return _report(exc, argv, bool(getattr(args, "debug", False)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
