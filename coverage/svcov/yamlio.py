"""Read YAML keeping the line of every key, so configuration errors can name the line.

Used by :mod:`svcov.config` (the run configuration) and :mod:`svcov.rules.spec` (the rule file).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ConfigError, Problem

__all__ = ["LineDict", "LineList", "load_yaml", "line_of", "check_keys"]


class LineDict(dict):
    """A dict from YAML that remembers the 1-based line of each key (``lines``) and of itself (``line``)."""

    line: int = 0
    lines: dict


class LineList(list):
    """A list from YAML that remembers its 1-based line and the line of each item."""

    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: str | Path, error_class: type[ConfigError] = ConfigError) -> LineDict:
    """Parse a YAML file whose top level is a mapping.

    Raises
    ------
    ConfigError
        If the file is missing, not UTF-8, not valid YAML, or its top level is not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise error_class(path, [Problem(str(path), "找不到文件。请检查路径。",
                                         "file not found; check the path")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error_class(path, [Problem(str(path), "文件不是 UTF-8 编码。请用 UTF-8 保存 (记事本: 另存为 → 编码 UTF-8)。",
                                         f"file is not UTF-8 ({exc.reason}); save it as UTF-8")]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise error_class(path, [Problem(str(path), f"YAML 语法错误: {what}。请检查缩进和冒号。",
                                         f"YAML syntax error: {what}; check indentation and colons",
                                         row=row)]) from None
    if not isinstance(data, dict):
        raise error_class(path, [Problem(str(path), "文件顶层应是「键: 值」的映射。",
                                         "the top level must be a mapping of key: value")])
    return data


def line_of(mapping: object, key: object | None = None) -> int | None:
    """Line of ``key`` in a :class:`LineDict` (or of the mapping itself), if known."""
    if key is not None and isinstance(mapping, LineDict):
        return mapping.lines.get(key, mapping.line)
    return getattr(mapping, "line", None)


def check_keys(mapping: dict, allowed: set[str] | dict, where: str, problems, *,
               required: tuple[str, ...] = ()) -> None:
    """Report unknown and missing keys of a config mapping, with a 'did you mean' hint.

    Parameters
    ----------
    mapping
        The parsed mapping.
    allowed
        Keys it may have.
    where
        Name of the section, for messages (e.g. ``"travel"``).
    problems
        A :class:`~svcov.errors.ProblemList` to add to.
    required
        Keys it must have.
    """
    import difflib

    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
            hint_zh = f"是不是「{close[0]}」?" if close else f"可用的键: {', '.join(sorted(map(str, allowed)))}。"
            keys = ", ".join(sorted(map(str, allowed)))
            hint_en = f"did you mean {close[0]!r}?" if close else f"allowed keys: {keys}"
            problems.add(f"{where} 中有未知的键「{key}」。{hint_zh}", f"unknown key {key!r} in {where}; {hint_en}",
                         row=line_of(mapping, key), column=str(key))
    for key in required:
        if key not in mapping:
            problems.add(f"{where} 缺少必填的键「{key}」。", f"{where} is missing the required key {key!r}",
                         row=line_of(mapping), column=key)
