"""Atomic file writing, the run folder and its manifest (below every stage: network caches and outputs use it).

Every file is written to a temporary name beside its target and renamed into place, so a crash never leaves half a
file. A whole run is written into a hidden temporary folder that replaces the run folder only when everything has
been written: a failed run leaves the previous results untouched.

A run never deletes a file it did not write. It replaces a folder only if a previous svcov run wrote it (its
``manifest.json`` lists every file in it, unchanged) or the folder is empty; anything else is refused with a message.
One run at a time writes a run folder (a lock file beside it holding the PID); a run that finds what an interrupted
run left (a ``.<run>.<token>.partial`` folder, or a swap stopped between its two renames) finishes or undoes it and
says what it did.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .errors import OutputError, os_error_text

__all__ = ["atomic_path", "atomic_write_text", "atomic_write_bytes", "sha256_file", "RunFolder", "RunLock",
           "package_versions", "plain_name_problem", "check_replaceable", "foreign_files", "recover_siblings",
           "MANIFEST", "PARTIAL_MARKER"]

log = logging.getLogger(__name__)

#: Packages whose versions go into every manifest.
VERSIONED_PACKAGES = ("svcov", "geopandas", "shapely", "pyproj", "pandas", "numpy", "scipy", "networkx", "osmnx",
                      "folium", "scikit-learn", "highspy", "matplotlib", "python-docx", "fpdf2", "openpyxl")


def _default_mode(full: int) -> int:
    """``full`` (0o666 for files, 0o777 for folders) masked by the process umask, as ``open()`` would create it."""
    mask = os.umask(0)
    os.umask(mask)
    return full & ~mask


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it to ``target``, on error delete it.

    Examples
    --------
    >>> with atomic_path("out.csv") as tmp:          # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出文件夹 {target.parent} (cannot create the output folder): {exc}") from exc
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{target.name}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            os.chmod(tmp, _default_mode(0o666))  # mkstemp makes owner-only files; outputs are shared documents
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        zh, en = os_error_text(exc)
        raise OutputError(f"无法写入 {target}: {zh} (cannot write {target}: {en})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(target: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write text atomically; returns ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")
    return Path(target)


def atomic_write_bytes(target: str | Path, data: bytes) -> Path:
    """Write bytes atomically; returns ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Python, platform and the versions of the main packages."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


#: Windows device names that cannot name a file or folder (with or without an extension).
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10)),
             "com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}


def plain_name_problem(name: str) -> tuple[str, str] | None:
    """Why ``name`` cannot name a run folder on Windows and elsewhere (``(zh, en)``), or ``None`` if it can.

    A plain name: letters (Chinese too), digits, ``_``, ``.`` and ``-`` only (no path separator, space or character
    Windows forbids); not ``.``/``..``; not starting with a dot (svcov's own hidden folders do) or ending with one;
    not a Windows device name (``CON``, ``NUL``, ``COM1``, ``LPT1``, ...); at most 100 characters.
    """
    if not name or name in (".", ".."):
        return "不能为空, 也不能是「.」或「..」", "must not be empty, '.' or '..'"
    if not re.fullmatch(r"[\w.\-]+", name):
        bad = " ".join(sorted({repr(c)[1:-1] for c in name if not re.fullmatch(r"[\w.\-]", c)}))
        return (f"只能包含字母 (含汉字)、数字、下划线、点和连字符, 不能有 {bad} (不能含路径分隔符或空格)",
                f"may only contain letters, digits, '_', '.' and '-', not {bad} (no path separator or space)")
    if name.startswith("."):
        return "不能以「.」开头 (svcov 的临时文件夹以「.」开头)", "must not start with '.' (svcov's temporary folders do)"
    if name.endswith("."):
        return "不能以「.」结尾 (Windows 会去掉它)", "must not end with a dot (Windows drops it)"
    if name.split(".")[0].lower() in _RESERVED:
        return "是 Windows 的保留设备名 (CON、PRN、AUX、NUL、COM1-9、LPT1-9)", "is a reserved device name on Windows"
    if len(name) > 100:
        return "太长 (最多 100 个字符)", "is too long (at most 100 characters)"
    return None


def check_replaceable(final: Path) -> None:
    """Raise :class:`OutputError` unless a run may replace ``final``: it does not exist, is an empty folder, or is a
    folder a previous svcov run wrote whose files are all listed, unchanged, in its manifest."""
    final = Path(final)
    if final.is_symlink():
        raise OutputError(f"输出文件夹 {final} 是一个链接 (快捷方式), svcov 不会替换它。请用 --out 指定一个普通文件夹。"
                          f" (the output folder {final} is a link; svcov does not replace it: choose a plain folder)")
    if not final.exists():
        return
    if not final.is_dir():
        raise OutputError(f"输出位置 {final} 是一个文件, 不是文件夹; svcov 不会删除它。请用 --out 或 run_name 指定另一个"
                          f"位置。 (the output path {final} is a file; svcov will not delete it: choose another path)")
    foreign = foreign_files(final)
    if foreign is None:
        raise OutputError(
            f"文件夹 {final} 不是 svcov 写的运行文件夹 (里面没有 svcov 的 {MANIFEST}), 但已有文件; 为了不删除您的文件, "
            f"本次运行不会替换它。请用 --out 指定一个新的或空的文件夹, 或在配置中换一个 run_name。"
            f" (the folder {final} holds files but was not written by svcov (no svcov {MANIFEST}); it is not "
            f"replaced, so none of your files is deleted: give --out a new or empty folder, or another run_name)")
    if foreign:
        shown = ", ".join(foreign[:10]) + (f" 等 {len(foreign)} 个" if len(foreign) > 10 else "")
        raise OutputError(
            f"文件夹 {final} 是 svcov 上次运行写的, 但其中有不是那次运行写的或被修改过的文件: {shown}。为了不删除它们, "
            f"本次运行不会替换这个文件夹。请把这些文件移到别处 (或关闭正在打开它们的 Word/Excel) 后重试, 或用 --out "
            f"指定另一个文件夹。 (the run folder {final} holds files svcov did not write, or changed since: "
            f"{', '.join(foreign[:10])}; move them away, or close them in Word/Excel, and retry, or use another --out)")


@dataclass
class RunFolder:
    """A run's output folder, written in a temporary sibling and swapped in by :meth:`commit`.

    Parameters
    ----------
    final
        Where the run's outputs end up, e.g. ``outputs/songjiang``.

    Use as a context manager: on an exception (or without :meth:`commit`) the temporary folder is deleted and
    ``final`` is left as it was; the lock is released either way. Creating it takes the folder's lock
    (:class:`~svcov.errors.OutputError` if another run holds it), finishes or undoes what interrupted runs left
    beside it (:attr:`recovered` says what), and checks that ``final`` may be replaced (:func:`check_replaceable`),
    all before the run does any work.
    """

    final: Path
    tmp: Path = field(init=False)
    inputs: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    started: float = field(default_factory=time.time)
    recovered: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.final = _final_path(self.final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            zh, en = os_error_text(exc)
            raise OutputError(f"无法创建输出文件夹 {self.final.parent}: {zh} (cannot create the output folder: {en})"
                              ) from exc
        self.lock = RunLock(self.final)
        self.lock.acquire()
        try:
            self.recovered = recover_siblings(self.final, self.lock)
            for line in self.recovered:
                log.warning("%s", line)
            check_replaceable(self.final)
            self.tmp = new_partial(self.final)
        except BaseException:
            self.lock.release()
            raise

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.tmp.exists():  # not committed: a failure, or nothing to keep
                shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            self.lock.release()

    def path(self, relative: str | Path) -> Path:
        """Absolute path of a file inside the (temporary) run folder; parent folders are created."""
        target = self.tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_input(self, role: str, path: str | Path | None) -> None:
        """Record an input file (its path and SHA-256) for the manifest."""
        if path is None:
            return
        path = Path(path)
        entry = {"path": str(path), "sha256": sha256_file(path) if path.is_file() else None,
                 "bytes": path.stat().st_size if path.is_file() else None}
        self.inputs.setdefault(role, []).append(entry)

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time a stage for the manifest and log it."""
        start = time.perf_counter()
        yield
        self.timings_s[stage] = round(time.perf_counter() - start, 3)
        log.info("stage %s took %.1f s", stage, self.timings_s[stage])

    def write_manifest(self, settings: dict) -> Path:
        """Write ``manifest.json``: inputs with hashes, settings, versions, timings and every output file."""
        outputs = []
        for path in sorted(self.tmp.rglob("*")):
            if path.is_file() and path.name not in (MANIFEST, PARTIAL_MARKER):
                outputs.append({"path": path.relative_to(self.tmp).as_posix(), "bytes": path.stat().st_size,
                                "sha256": sha256_file(path)})
        manifest = {"tool": "svcov", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "run_seconds": round(time.time() - self.started, 2), "inputs": self.inputs,
                    "settings": settings, "versions": package_versions(), "timings_s": self.timings_s,
                    "notes": self.notes, "recovered": self.recovered, "outputs": outputs}
        return atomic_write_text(self.path(MANIFEST),
                                 json.dumps(manifest, ensure_ascii=False, indent=2, default=str))

    def commit(self) -> Path:
        """Swap the finished temporary folder into place; returns the final path.

        The previous results are renamed aside (``.<run>.old-<token>``), the new folder renamed into place, then the
        previous results deleted: they are svcov's own (checked again here). A crash between the renames is
        finished or undone by the next run.
        """
        if not (self.tmp / MANIFEST).is_file():
            self.write_manifest({})
        self.lock.check_held()
        check_replaceable(self.final)
        (self.tmp / PARTIAL_MARKER).unlink(missing_ok=True)
        old = None
        try:
            if self.final.exists():
                old = self.final.with_name(old_name(self.final.name, partial_token(self.tmp)))
                os.replace(self.final, old)
            os.replace(self.tmp, self.final)
        except OSError as exc:
            if old is not None and old.exists() and not self.final.exists():
                os.replace(old, self.final)
            zh, en = os_error_text(exc)
            raise OutputError(f"无法替换输出文件夹 {self.final}: {zh}; 文件夹中的文件可能正在 Excel/Word 中打开 "
                              f"(cannot replace the output folder {self.final}: {en}; is a file in it open in "
                              f"Excel/Word?)") from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        log.info("outputs written to %s", self.final)
        return self.final


def _final_path(final: str | Path) -> Path:
    """The run folder as an absolute path (``--out .`` names the current folder, ``..`` its parent)."""
    path = Path(final).expanduser().absolute()
    with contextlib.suppress(OSError):  # resolve() only fails on broken Windows paths
        path = path.resolve()
    if path.parent == path or not path.name:
        raise OutputError(f"不能把整个磁盘或根目录 {path} 作为输出文件夹; 请指定其中的一个文件夹。"
                          f" (a drive or root {path} cannot be the run folder; name a folder inside it)")
    return path


# --- what svcov wrote: manifests, partial folders, the swap -------------------------------------------------------

MANIFEST = "manifest.json"
#: In a run's temporary folder while it is written: proves the folder is svcov's (removed before the swap).
PARTIAL_MARKER = ".svcov-partial.json"
#: Files the operating system drops into folders (thumbnail caches, folder settings); they are not the user's work.
OS_CLUTTER = {"thumbs.db", "desktop.ini", ".ds_store"}
_TOKEN = r"[0-9a-f]{8}"
_PARTIAL = re.compile(rf"^\.(?P<name>.+)\.(?P<token>{_TOKEN})\.partial$")
_OLD = re.compile(rf"^\.(?P<name>.+)\.old-(?P<token>{_TOKEN}|\d+-\d+)$")
_LOCK = re.compile(r"^\.(?P<name>.+)\.lock$")


def old_name(name: str, token: str) -> str:
    """Name of the previous results while a swap runs: ``.<run>.old-<token of the new folder>``."""
    return f".{name}.old-{token}"


def partial_token(folder: Path) -> str:
    match = _PARTIAL.match(folder.name)
    return match["token"] if match else secrets.token_hex(4)


def new_partial(final: Path) -> Path:
    """Create the hidden temporary folder ``.<run>.<token>.partial`` beside ``final``, with svcov's marker."""
    for _ in range(20):
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.partial")
        try:
            tmp.mkdir(mode=0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            zh, en = os_error_text(exc)
            raise OutputError(f"无法在 {final.parent} 中创建临时文件夹: {zh} (cannot create a temporary folder: {en})"
                              ) from exc
        os.chmod(tmp, _default_mode(0o777))
        marker = {"tool": "svcov", "run": final.name, "pid": os.getpid(), "host": socket.gethostname(),
                  "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (tmp / PARTIAL_MARKER).write_text(json.dumps(marker, ensure_ascii=False), encoding="utf-8")
        return tmp
    raise OutputError(f"无法在 {final.parent} 中创建临时文件夹 (cannot create a temporary folder)")  # pragma: no cover


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _manifest(folder: Path) -> dict | None:
    data = _read_json(folder / MANIFEST)
    return data if data is not None and data.get("tool") == "svcov" else None


def foreign_files(folder: Path) -> list[str] | None:
    """Files in ``folder`` that its svcov manifest does not list with the same size and SHA-256 (relative paths).

    ``[]`` for an empty folder or one exactly as svcov wrote it; ``None`` if the folder has files but no svcov
    manifest. Operating-system clutter (``Thumbs.db``, ``desktop.ini``, ``.DS_Store``) does not count.
    """
    manifest = _manifest(folder)
    if manifest is None:  # not svcov's: one entry is enough to refuse (never walk a user's whole folder)
        return None if any(p.name.lower() not in OS_CLUTTER for p in folder.iterdir()) else []
    listed = {o.get("path"): o for o in manifest.get("outputs", []) if isinstance(o, dict)}
    try:
        files = [p for p in sorted(folder.rglob("*")) if (p.is_file() or p.is_symlink())
                 and p.name.lower() not in OS_CLUTTER]
    except OSError as exc:  # an unreadable subfolder: not provably svcov's
        return [str(exc.filename or folder)]
    out = []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        if rel in (MANIFEST, PARTIAL_MARKER):
            continue
        entry = listed.get(rel)
        if (entry is None or path.is_symlink() or path.stat().st_size != entry.get("bytes")
                or sha256_file(path) != entry.get("sha256")):
            out.append(rel)
    return out


def _owned_partial(folder: Path) -> bool:
    marker = _read_json(folder / PARTIAL_MARKER)
    return (marker is not None and marker.get("tool") == "svcov") or _manifest(folder) is not None


def _remove_own(folder: Path, what_zh: str, what_en: str, done: list[str]) -> None:
    """Delete ``folder`` if every file in it is svcov's; otherwise leave it and say so."""
    foreign = [] if (folder / PARTIAL_MARKER).is_file() else foreign_files(folder)
    if foreign:
        done.append(f"保留 {folder}: 其中有不是 svcov 写的文件 ({', '.join(foreign[:5])}) (kept {folder}: it holds "
                    f"files svcov did not write)")
        return
    shutil.rmtree(folder, ignore_errors=True)
    done.append(f"已删除{what_zh} {folder} (removed {what_en} {folder})")


def _leftovers(final: Path) -> tuple[list[Path], list[Path]]:
    """svcov's partial and old folders of the run ``final`` beside it."""
    partials, olds = [], []
    for path in final.parent.iterdir():
        for pattern, found in ((_PARTIAL, partials), (_OLD, olds)):
            match = pattern.match(path.name)
            if match and match["name"] == final.name and path.is_dir() and not path.is_symlink():
                found.append(path)
    return partials, olds


def recover(final: Path) -> list[str]:
    """Finish or undo what interrupted runs of ``final`` left; the caller holds ``final``'s lock.

    A swap stopped between its renames (``final`` missing, ``.old-`` present) is finished when its new folder is
    complete (has its manifest), otherwise undone (the previous results are renamed back). Then the leftover
    ``.partial`` and ``.old-`` folders that are provably svcov's (marker or manifest) are deleted. Returns one line
    per thing done (Chinese, then English).
    """
    done: list[str] = []
    partials, olds = _leftovers(final)
    olds = [o for o in olds if _manifest(o) is not None]
    if not final.exists() and olds:
        olds.sort(key=lambda p: p.stat().st_mtime)
        last = olds.pop()
        token = _OLD.match(last.name)["token"]
        new = next((p for p in partials if _PARTIAL.match(p.name)["token"] == token and _manifest(p)), None)
        if new is not None:
            os.replace(new, final)
            partials.remove(new)
            olds.append(last)
            done.append(f"完成了上次被中断的替换: 新结果已移入 {final} (finished an interrupted swap into {final})")
        else:
            os.replace(last, final)
            done.append(f"上次替换被中断: 已把之前的结果恢复到 {final} (undid an interrupted swap: the previous "
                        f"results are back in {final})")
    for old in olds:
        _remove_own(old, "上次运行替换下来的旧结果", "the previous results of an earlier swap", done)
    for partial in partials:
        if _owned_partial(partial):
            _remove_own(partial, "中断的运行留下的临时文件夹", "the temporary folder of an interrupted run", done)
    return done


def recover_siblings(final: Path, lock: RunLock) -> list[str]:
    """:func:`recover` for ``final`` (its lock is ``lock``, held) and for every other run folder beside it whose
    leftovers are found and whose lock can be taken at once (a run that is still going is left alone)."""
    done = recover(final)
    names = set()
    for path in final.parent.iterdir():
        match = _PARTIAL.match(path.name) or _OLD.match(path.name)
        if match and match["name"] != final.name:
            names.add(match["name"])
    for name in sorted(names):
        other = RunLock(final.with_name(name))
        if other.acquire(raise_if_busy=False):
            try:
                done += recover(final.with_name(name))
            finally:
                other.release()
    return done


# --- one run at a time: the lock file --------------------------------------------------------------------------


def _process_started(pid: int) -> float | None:
    """Start time of a running process (seconds since the epoch), or ``None`` if no process has that PID."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.Error:  # pragma: no cover - access denied: it exists
        return 0.0


class RunLock:
    """A lock file ``.<run>.lock`` beside a run folder: one run at a time writes it.

    The file is created exclusively (``O_CREAT | O_EXCL``, atomic on Windows and POSIX) and holds the PID, the host,
    the process's start time and a random token. A lock whose process is gone (or whose PID now belongs to a
    process started later) is stale and taken over; a live one makes :meth:`acquire` raise
    :class:`~svcov.errors.OutputError` naming the other run. No ``fcntl`` and no signals: it works on Windows.
    """

    def __init__(self, final: Path):
        self.final = Path(final)
        self.path = self.final.with_name(f".{self.final.name}.lock")
        self.token = secrets.token_hex(8)
        self.held = False

    def _record(self) -> dict:
        return {"tool": "svcov", "pid": os.getpid(), "host": socket.gethostname(),
                "process_started": _process_started(os.getpid()), "locked": time.time(), "token": self.token,
                "command": " ".join(sys.argv[:3])}

    def acquire(self, *, raise_if_busy: bool = True) -> bool:
        """Take the lock; ``True`` on success. A live holder raises :class:`OutputError` (``raise_if_busy=False``:
        returns ``False``: the caller leaves that run alone)."""
        for _ in range(5):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                holder = _read_json(self.path)
                if self._alive(holder):
                    if not raise_if_busy:
                        return False
                    raise self._busy(holder) from None
                self._take_over_stale(holder)
                continue
            except OSError as exc:
                zh, en = os_error_text(exc)
                raise OutputError(f"无法创建锁文件 {self.path}: {zh} (cannot create the lock file: {en})") from exc
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._record(), handle)
            self.held = True
            return True
        raise self._busy(_read_json(self.path))  # pragma: no cover - five stale take-overs lost to other runs

    def _alive(self, holder: dict | None) -> bool:
        if holder is None:  # being written this instant, or not svcov's: stale only once it is old
            try:
                return time.time() - self.path.stat().st_mtime < 60
            except OSError:
                return False
        if holder.get("host") != socket.gethostname():
            return True  # another PC on a shared drive: cannot tell, so never taken over
        started = _process_started(int(holder.get("pid", -1))) if str(holder.get("pid", "")).isdigit() else None
        recorded = holder.get("process_started")
        return started is not None and not (recorded and started > float(recorded) + 1)

    def _take_over_stale(self, holder: dict | None) -> None:
        """Move a stale lock aside (a rename: of two runs taking it over at once, only one succeeds)."""
        aside = self.path.with_name(f"{self.path.name}.stale-{self.token}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        moved = _read_json(aside)
        if holder is not None and moved is not None and moved.get("token") != holder.get("token"):
            with contextlib.suppress(OSError):  # we moved a lock another run took a moment ago: put it back
                os.link(aside, self.path)
        aside.unlink(missing_ok=True)
        if holder is not None:
            log.warning("已接管 %s 留下的过期锁 (PID %s 已结束) (took over a stale lock of PID %s)", self.path,
                        holder.get("pid"), holder.get("pid"))

    def _busy(self, holder: dict | None) -> OutputError:
        who = holder or {}
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(who.get("locked", 0))) if who else "?"
        return OutputError(
            f"另一个 svcov 运行 (PID {who.get('pid', '?')}, 计算机 {who.get('host', '?')}, {since} 开始) 正在写 "
            f"{self.final}。请等它结束后再运行, 或用 --out 指定另一个文件夹。如果确定没有其他运行 (例如那台电脑已重启), "
            f"删除锁文件 {self.path} 后重试。 (another svcov run (PID {who.get('pid', '?')} on "
            f"{who.get('host', '?')}, since {since}) is writing {self.final}; wait for it to finish or use another "
            f"--out; if you are sure no other run is going, delete {self.path} and retry)")

    def check_held(self) -> None:
        """Raise :class:`OutputError` if the lock file is no longer this run's (someone deleted or took it)."""
        holder = _read_json(self.path)
        if not self.held or holder is None or holder.get("token") != self.token:
            raise OutputError(f"锁文件 {self.path} 已被删除或被另一个运行占用, 为安全起见不替换 {self.final}。请重新运行。"
                              f" (the lock {self.path} was removed or taken by another run; {self.final} is not "
                              f"replaced; run again)")

    def release(self) -> None:
        if not self.held:
            return
        holder = _read_json(self.path)
        if holder is not None and holder.get("token") == self.token:
            self.path.unlink(missing_ok=True)
        self.held = False
