"""The house's floors: every import between the stages points down, and the code keeps the project's line limit.

Floors, lowest first (docs/DEVELOPING.md): settings, errors, vocabulary → files, yamlio → config → data → network →
access, rules, siting, outputs (siblings: none imports another; outputs renders frames and imports no analysis
stage) → planstage → pipeline → batch → cli. A stage may import any floor below its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "coverage" / "svcov"

FLOORS = {"settings": 0, "errors": 0, "vocabulary": 0, "files": 1, "yamlio": 1, "config": 2, "data": 3,
          "network": 4, "access": 5, "rules": 5, "siting": 5, "outputs": 5, "planstage": 5.5, "pipeline": 6,
          "check": 6.5, "api": 7, "batch": 7, "cli": 8, "__main__": 9}


def _module_name(path: Path) -> tuple[str, str]:
    """(module, the package its relative imports start from), e.g. ('svcov.rules.spec', 'svcov.rules')."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    name = ".".join(parts)
    return name, name.rsplit(".", 1)[0]


def _imports(path: Path) -> set[str]:
    """Every svcov module or name the file imports, as an absolute dotted path."""
    _, package = _module_name(path)
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            if node.module:
                out.add(".".join([*base, node.module]))
            else:
                out.update(".".join([*base, a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "svcov":
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "svcov")
    return out


def _stage(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FLOORS else None


def import_graph() -> dict[str, set[str]]:
    """Stage → the other stages it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        own = _stage(_module_name(path)[0])
        if own is None:  # svcov/__init__.py: only the version
            continue
        for target in _imports(path):
            other = _stage(target)
            if other is not None and other != own:
                graph.setdefault(own, set()).add(other)
    return graph


def test_every_stage_has_a_floor():
    stages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert stages <= set(FLOORS), f"give these a floor in FLOORS and docs/DEVELOPING.md: {stages - set(FLOORS)}"


def test_imports_only_point_down():
    graph = import_graph()
    up = sorted((a, b) for a, targets in graph.items() for b in targets if FLOORS[b] >= FLOORS[a])
    assert up == [], f"imports that do not point to a lower floor: {up}"
    assert graph["outputs"] <= {"settings", "errors", "vocabulary", "files", "config", "data"}


def test_floor_check_catches_an_upward_import(tmp_path):
    """The check itself can fail: a network module importing outputs is found."""
    fake = PACKAGE / "network" / "_fake_upward_for_test.py"
    fake.write_text("from ..outputs import map\n", encoding="utf-8")
    try:
        assert "outputs" in import_graph()["network"]
    finally:
        fake.unlink()


def _python_files() -> list[Path]:
    return sorted(p for folder in ("coverage", "tests", "benchmarks") for p in (ROOT / folder).rglob("*.py"))


def test_lines_are_at_most_120_characters():
    """The project's limit is 120 *characters* (ruff's E501 counts a CJK character as two columns)."""
    long = [f"{p.relative_to(ROOT)}:{i}" for p in _python_files()
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 120]
    assert long == []


def _absolute_imports(path: Path) -> set[str]:
    """Top-level names of the file's absolute imports."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_no_module_imports_the_old_name():
    """``coverage`` is coverage.py's import name; the project's own code imports ``svcov``."""
    hits = [str(p.relative_to(ROOT)) for p in _python_files()
            if p.name != "test_import_name.py" and "coverage" in _absolute_imports(p)]
    assert hits == []


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 650}
    assert big == {}
