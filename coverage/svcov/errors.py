"""Exception hierarchy and the `Problem` record every validator reports.

Every error the tool raises on purpose derives from :class:`SvcovError`; errors about user input also derive
from :class:`ValueError`, so callers that only know the standard library can still catch them (as in osmnx
and r5py). An :class:`InputError` carries *all* problems found in one file, each naming the file, the row
(as Excel shows it: the header is row 1), the column, the value, what is wrong and how to fix it.

Messages are in Chinese first (the bureau's analysts read Chinese), each followed by an English gloss.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SvcovError",
    "InputError",
    "ConfigError",
    "MissingColumnError",
    "NoCrsError",
    "NonUniqueIDError",
    "RuleFileError",
    "ValidationFailed",
    "NetworkError",
    "InfeasibleError",
    "OutputError",
    "ArgumentError",
    "os_error_text",
    "Problem",
    "ProblemList",
]

MAX_PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    Attributes
    ----------
    file
        Path of the input file (or config file) as the user gave it.
    message_zh, message_en
        What is wrong and how to fix it, in Chinese and in English.
    row
        Row number as a spreadsheet shows it (header = 1, first record = 2); ``None`` for file-level problems.
    column
        Column name as it appears in the file; ``None`` if the problem is not about one column.
    value
        The offending value, as read.
    severity
        ``"error"`` stops the run; ``"warning"`` is reported and the run goes on; ``"info"`` is context shown only
        beside the errors of the file (e.g. which Excel sheet was read).
    """

    file: str
    message_zh: str
    message_en: str
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"
    #: ``"row"`` (spreadsheet row) or ``"feature"`` (feature number in a GIS layer).
    row_kind: str = "row"

    def location_zh(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if self.row_kind == "row" else f"第 {self.row} 个要素")
        if self.column is not None:
            parts.append(f"列「{self.column}」")
        if self.value is not None:
            parts.append(f"值 {_show(self.value)}")
        return ", ".join(parts)

    def format(self) -> str:
        loc = self.location_zh()
        head = f"{loc}: " if loc else ""
        tag = {"error": "", "info": "[说明 note] "}.get(self.severity, "[警告 warning] ")
        return f"  - {tag}{head}{self.message_zh}\n    ({self.message_en})"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class ProblemList:
    """Collects problems of one file so they can be reported together.

    Parameters
    ----------
    file
        The file the problems belong to.
    """

    file: str
    problems: list[Problem] = field(default_factory=list)
    #: Row number of the record with index 0: 2 for spreadsheets (row 1 is the header), 1 for GIS layers.
    row_base: int = 2

    def add(self, message_zh: str, message_en: str, *, row: int | None = None, column: str | None = None,
            value: object = None, severity: str = "error") -> None:
        kind = "row" if self.row_base != 1 else "feature"
        self.problems.append(Problem(str(self.file), message_zh, message_en, row, column, value, severity, kind))

    def warn(self, message_zh: str, message_en: str, **where) -> None:
        self.add(message_zh, message_en, severity="warning", **where)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self, error_class: type[InputError] | None = None) -> None:
        """Raise one :class:`InputError` listing every problem, if any is an error."""
        if self.errors:
            cls = error_class or InputError
            raise cls(self.file, self.problems)


class SvcovError(Exception):
    """Base class of every error this tool raises on purpose."""


class InputError(SvcovError, ValueError):
    """One input file has problems; ``problems`` lists all of them.

    Parameters
    ----------
    file
        The input file.
    problems
        Every problem found (errors and warnings).
    """

    def __init__(self, file: str | Path, problems: list[Problem]):
        self.file = str(file)
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        def order(p: Problem) -> tuple:
            return (p.row is not None, p.row or 0)

        errors = sorted((p for p in self.problems if p.severity == "error"), key=order)
        warnings = sorted((p for p in self.problems if p.severity == "warning"), key=order)
        infos = [p for p in self.problems if p.severity not in ("error", "warning")]
        head = (f"文件 {self.file} 有 {len(errors)} 个错误"
                + (f"、{len(warnings)} 个警告" if warnings else "")
                + f" (file {self.file}: {len(errors)} error(s)"
                + (f", {len(warnings)} warning(s)" if warnings else "") + "):")
        shown = (errors + warnings + infos)[:MAX_PROBLEMS_SHOWN]
        lines = [head] + [p.format() for p in shown]
        hidden = len(self.problems) - len(shown)
        if hidden > 0:
            lines.append(f"  ... 另有 {hidden} 个问题未列出 ({hidden} more not shown)")
        return "\n".join(lines)


class ConfigError(InputError):
    """The run's YAML configuration (or a setting passed to a function) is wrong."""


class MissingColumnError(InputError):
    """A required column is missing from an input table."""


class NoCrsError(InputError):
    """A spatial input has no coordinate reference system."""


class NonUniqueIDError(InputError):
    """Identifiers that must be unique are repeated."""


class RuleFileError(InputError):
    """The layout-rule file is wrong (unknown type, measure or field...)."""


class ValidationFailed(SvcovError, ValueError):
    """Several input files have problems; ``errors`` holds one :class:`InputError` per file."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        n = sum(len([p for p in e.problems if p.severity == "error"]) for e in self.errors)
        files = len(self.errors)
        head = (f"输入数据有 {n} 个错误, 涉及 {files} 个文件; 没有写出任何结果 "
                f"({n} error(s) in {files} file(s); nothing was written):")
        super().__init__("\n\n".join([head] + [str(e) for e in self.errors]))


class NetworkError(SvcovError, ValueError):
    """The road network cannot be loaded or used."""


class InfeasibleError(SvcovError, ValueError):
    """An optimisation model has no feasible solution; the message explains it in numbers."""


class OutputError(SvcovError, OSError):
    """An output cannot be written."""


class ArgumentError(SvcovError, ValueError):
    """A function of the library was called with a wrong argument (a value no configuration could produce)."""


#: Windows error codes (``OSError.winerror``) of a full disk.
_WIN_DISK_FULL = (39, 112)


def os_error_text(exc: OSError) -> tuple[str, str]:
    """What an operating-system error means and what to do, ``(zh, en)``: disk full, no permission (or the file is
    open in Excel/Word), read-only disk, path too long, path missing, or the system's own words."""
    code, win = exc.errno, getattr(exc, "winerror", None)
    reason = exc.strerror or str(exc)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or win in _WIN_DISK_FULL:
        zh, en = "磁盘空间不足; 请清理磁盘或换一个输出文件夹", "the disk is full; free some space or choose another folder"
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        zh, en = ("没有写入权限, 或文件正在 Excel/Word/WPS 中打开; 请关闭文件, 或换一个有写入权限的文件夹",
                  "permission denied, or the file is open in Excel/Word/WPS; close it or choose a folder you can "
                  "write to")
    elif code == errno.EROFS:
        zh, en = "磁盘是只读的; 请换一个输出文件夹", "the disk is read-only; choose another folder"
    elif code == errno.ENAMETOOLONG or win == 206:
        zh, en = "路径太长; 请换一个路径较短的文件夹", "the path is too long; choose a folder with a shorter path"
    elif code == errno.ENOENT:
        zh, en = "路径不存在", "the path does not exist"
    else:
        zh, en = "操作系统报错", "the operating system reported an error"
    return f"{zh} ({reason})", f"{en} ({reason})"


def single_problem(cls: type[InputError], file: str | Path, message_zh: str, message_en: str,
                   **where) -> InputError:
    """Build an :class:`InputError` (or subclass) with one problem: a shortcut for file-level errors."""
    return cls(file, [Problem(str(file), message_zh, message_en, **where)])
