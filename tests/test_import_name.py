"""The import name is ``svcov``; ``coverage`` stays coverage.py's, so coverage.py, pytest-cov and numba (which imports
``coverage`` to support it) work beside the project, from the repository root (where the source folder
``coverage/`` lies) and from anywhere else.

Why this is safe: ``coverage/`` has no ``__init__.py``, so from the repository root it could only be found as a
namespace package, and Python's import system prefers a regular package anywhere on ``sys.path`` (coverage.py's
in site-packages) over a namespace portion.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import pathlib, coverage, numba, svcov
print(pathlib.Path(coverage.__file__).resolve())
print(pathlib.Path(svcov.__file__).resolve())
print(hasattr(coverage, "Coverage"), numba.__version__)
"""


def _probe(cwd: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("where", ["root", "elsewhere"])
def test_coverage_py_numba_and_svcov_import_together(where, tmp_path):
    coverage_file, svcov_file, flags = _probe(ROOT if where == "root" else tmp_path)
    assert "site-packages" in coverage_file and not coverage_file.startswith(str(ROOT / "coverage" / "coverage"))
    assert Path(svcov_file) == ROOT / "coverage" / "svcov" / "__init__.py"
    assert flags.startswith("True ")


def test_source_root_is_not_a_package():
    assert not (ROOT / "coverage" / "__init__.py").exists()
    assert (ROOT / "coverage" / "svcov" / "__init__.py").exists()


def test_numba_compiles_in_this_process():
    """numba imported next to svcov (and under pytest-cov when coverage is measured) compiles and runs a kernel."""
    import numba

    import svcov  # noqa: F401

    @numba.njit(cache=False)
    def total(n):
        s = 0
        for i in range(n):
            s += i
        return s

    assert total(10) == 45


@pytest.mark.parametrize("args", [["-m", "svcov", "--help"], ["-m", "svcov", "--version"]])
def test_python_m_svcov_from_the_repository_root(args):
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "svcov" in done.stdout
