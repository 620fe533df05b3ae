"""Atomic file writing, the run folder and its manifest (below every stage: network caches and outputs use it).

Every file is written to a temporary name beside its target and renamed into place, so a crash never leaves half a
file. A whole run is written into a hidden temporary folder that replaces the run folder only when everything has
been written: a failed run leaves the previous results untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_path", "atomic_write_text", "atomic_write_bytes", "sha256_file", "RunFolder", "package_versions"]

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
    except PermissionError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"无法写入 {target}: 文件可能正在 Excel/Word 中打开, 请关闭后重试 "
                          f"(cannot write {target}; close it in Excel/Word and retry): {exc}") from exc
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


@dataclass
class RunFolder:
    """A run's output folder, written in a temporary sibling and swapped in by :meth:`commit`.

    Parameters
    ----------
    final
        Where the run's outputs end up, e.g. ``outputs/songjiang``.

    Use as a context manager: on an exception the temporary folder is deleted and ``final`` is left as it was.
    """

    final: Path
    tmp: Path = field(init=False)
    inputs: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.final = Path(self.final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".partial",
                                             dir=self.final.parent))
            os.chmod(self.tmp, _default_mode(0o777))
        except OSError as exc:
            raise OutputError(f"无法创建输出文件夹 {self.final.parent} (cannot create the output folder): {exc}") from exc

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

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
            if path.is_file() and path.name != "manifest.json":
                outputs.append({"path": path.relative_to(self.tmp).as_posix(), "bytes": path.stat().st_size,
                                "sha256": sha256_file(path)})
        manifest = {"tool": "svcov", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "run_seconds": round(time.time() - self.started, 2), "inputs": self.inputs,
                    "settings": settings, "versions": package_versions(), "timings_s": self.timings_s,
                    "notes": self.notes, "outputs": outputs}
        return atomic_write_text(self.path("manifest.json"),
                                 json.dumps(manifest, ensure_ascii=False, indent=2, default=str))

    def commit(self) -> Path:
        """Swap the finished temporary folder into place; returns the final path."""
        old = None
        if self.final.exists():
            old = self.final.with_name(f".{self.final.name}.old-{os.getpid()}-{int(time.time())}")
            os.replace(self.final, old)
        try:
            os.replace(self.tmp, self.final)
        except OSError as exc:
            if old is not None:
                os.replace(old, self.final)
            raise OutputError(f"无法替换输出文件夹 {self.final} (cannot replace the output folder; is a file in it "
                              f"open in Excel/Word?): {exc}") from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        log.info("outputs written to %s", self.final)
        return self.final
