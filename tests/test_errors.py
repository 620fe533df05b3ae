"""The error hierarchy, problem records and what operating-system errors mean for the user."""

from __future__ import annotations

import errno

import pytest

from svcov.errors import (
    ArgumentError,
    InputError,
    OutputError,
    Problem,
    ProblemList,
    SvcovError,
    os_error_text,
)


def test_argument_and_input_errors_are_value_errors_and_svcov_errors():
    for cls in (ArgumentError, InputError):
        assert issubclass(cls, SvcovError) and issubclass(cls, ValueError)
    assert issubclass(OutputError, SvcovError) and issubclass(OutputError, OSError)


@pytest.mark.parametrize("exc, zh, en", [
    (OSError(errno.ENOSPC, "No space left on device"), "磁盘空间不足", "the disk is full"),
    (PermissionError(errno.EACCES, "Permission denied"), "Excel/Word/WPS", "permission denied"),
    (OSError(errno.EROFS, "Read-only file system"), "只读", "read-only"),
    (OSError(errno.ENAMETOOLONG, "File name too long"), "路径太长", "too long"),
    (OSError(errno.ENOENT, "No such file or directory"), "路径不存在", "does not exist"),
    (OSError(errno.EIO, "Input/output error"), "操作系统报错", "Input/output error"),
])
def test_os_errors_say_what_they_mean(exc, zh, en):
    text_zh, text_en = os_error_text(exc)
    assert zh in text_zh and en in text_en


def test_a_windows_full_disk_is_a_full_disk():
    exc = OSError(None, "There is not enough space on the disk")
    exc.winerror = 112
    assert "磁盘空间不足" in os_error_text(exc)[0]


def test_info_problems_are_context_beside_the_errors():
    p = ProblemList("名册.xlsx")
    p.add("缺少必需的列「name」。", "missing column 'name'", column="name")
    p.warn("合并单元格 G2:G6 ...", "merged cells ...", row=2)
    p.problems.append(Problem("名册.xlsx", "读取的是工作表「说明」", "sheet read: '说明'", severity="info"))
    assert [q.severity for q in p.warnings] == ["warning"]
    with pytest.raises(InputError) as caught:
        p.raise_if_errors()
    text = str(caught.value)
    assert "1 个错误、1 个警告" in text and "[说明 note] 读取的是工作表「说明」" in text
    assert text.index("缺少必需的列") < text.index("合并单元格") < text.index("[说明 note]")
