"""Read YAML keeping the line of every key, so configuration errors can name the line.

Used by :mod:`svcov.config` (the run configuration) and :mod:`svcov.rules.spec` (the rule file). Safe loading
only; a key repeated in one mapping is an error naming both lines (plain PyYAML keeps the last silently); a
document whose aliases expand to more than :data:`MAX_EXPANDED_NODES` values ("billion laughs") or refer to
themselves is refused before anything reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import ConfigError, Problem

__all__ = ["LineDict", "LineList", "load_yaml", "line_of", "check_keys", "MAX_EXPANDED_NODES"]

#: Most values (scalars, lists, mappings) a configuration may hold once its aliases are expanded; the bundled
#: configuration and rule file hold a few hundred.
MAX_EXPANDED_NODES = 100_000


class LineDict(dict):
    """A dict from YAML that remembers the 1-based line of each key (``lines``) and of itself (``line``)."""

    line: int = 0
    lines: dict


class LineList(list):
    """A list from YAML that remembers its 1-based line and the line of each item."""

    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[object, int, int]] = []  # (key, first line, repeated line)


def _check_duplicates(loader: _Loader, node: yaml.MappingNode) -> None:
    """Record keys written twice in the mapping itself (a key a ``<<`` merge brings in may be overridden)."""
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in seen:
            loader.duplicates.append((key, seen[key], line))
        else:
            seen[key] = line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    _check_duplicates(loader, node)
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
    data = _parse(path, text, error_class)
    if not isinstance(data, dict):
        raise error_class(path, [Problem(str(path), "文件顶层应是「键: 值」的映射。",
                                         "the top level must be a mapping of key: value")])
    return data


def _parse(path: Path, text: str, error_class: type[ConfigError]) -> object:
    """Compose, bound the expanded size, construct; report duplicate keys with both lines."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(path, node, error_class)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise error_class(path, [Problem(str(path), f"YAML 语法错误: {what}。请检查缩进和冒号。",
                                         f"YAML syntax error: {what}; check indentation and colons",
                                         row=row)]) from None
    except RecursionError:
        raise error_class(path, [Problem(str(path), "YAML 嵌套太深, 无法读取。", "the YAML is nested too deeply")]
                          ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise error_class(path, [Problem(str(path), f"键「{key}」在同一层写了两次 (第 {first} 行和第 {second} 行); "
                                         "YAML 只会保留后一个。请删除其中一个。", f"key {key!r} is written twice in the "
                                         f"same mapping (lines {first} and {second}); delete one", row=second,
                                         column=str(key)) for key, first, second in loader.duplicates])
    return data


def _check_size(path: Path, root: yaml.Node, error_class: type[ConfigError]) -> None:
    """Refuse a document whose aliases expand to more than :data:`MAX_EXPANDED_NODES` values, or to itself."""
    sizes: dict[int, int] = {}
    state: dict[int, str] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            state[key] = "done"
            if sizes[key] > MAX_EXPANDED_NODES:
                raise error_class(path, [Problem(
                    str(path), f"YAML 的别名 (&/*) 展开后超过 {MAX_EXPANDED_NODES:,} 个值, 不像是配置文件, 已拒绝读取。",
                    f"the YAML's aliases (&/*) expand to more than {MAX_EXPANDED_NODES:,} values; refused",
                    row=node.start_mark.line + 1)])
            continue
        if state.get(key) == "done":
            continue
        if isinstance(node, yaml.ScalarNode) and _CONTROL.search(node.value):
            raise error_class(path, [Problem(
                str(path), "值中有不可见的控制字符 (例如 \\v、\\x01), Word 和 Excel 无法保存它们。请删除。",
                "a value holds invisible control characters (such as \\v or \\x01) that Word and Excel cannot hold; "
                "delete them", row=node.start_mark.line + 1, value=node.value)])
        if state.get(key) == "open":
            raise error_class(path, [Problem(str(path), "YAML 的别名引用了它自己 (循环), 无法读取。",
                                             "a YAML alias refers to itself (a cycle)", row=node.start_mark.line + 1)])
        state[key] = "open"
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if state.get(id(c)) != "done")


#: Characters no XML document (Word, Excel) can hold; YAML writes them only as escapes ("\v", "\x01").
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


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
