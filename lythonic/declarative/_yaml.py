"""A safe YAML loader that remembers where every value came from.

PyYAML composes the document into a node tree (libyaml when available, which
is fast); we build the Python values from that tree ourselves so that:

- only plain data tags are accepted: ``!!python/...`` and any other tag is
  an error and nothing is constructed for it (no code runs);
- a key written twice in one mapping is an error naming both lines;
- keys are strings: an unquoted ``on:`` (YAML 1.1 reads it as a boolean) is
  an error with the fix, not a silent ``True`` key;
- the line and column of every key and value are kept in a ``SourceMap``,
  so later checks can point at the exact place;
- anchors, aliases and ``<<`` merge keys work, with a budget on how far
  aliases may expand (no "billion laughs").
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lythonic.declarative._diagnostics import Diagnostic, Severity

__all__ = ["MAX_DEPTH", "MAX_NODES", "Path", "SourceMap", "load_yaml"]

Path = tuple[str | int, ...]
"""Where a value sits in the document: keys and list indices from the root."""

MAX_NODES = 500_000
"""How many values a document may expand to (aliases included)."""

MAX_DEPTH = 64
"""How deeply lists and mappings may nest (a lyth.yaml needs fewer than ten levels)."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    _STD + t for t in ("null", "bool", "int", "float", "str", "timestamp", "map", "seq")
)
_MERGE_TAG = _STD + "merge"
_STR_TAG = _STD + "str"


class SourceMap:
    """Line and column (1-based) of every key and value of one document.

    ``value(path)`` and ``key(path)`` fall back to the nearest enclosing
    value, so any path gets a useful position.
    """

    __slots__ = ("_exact", "_keys", "_values", "file")

    def __init__(self, file: str) -> None:
        self.file = file
        self._values: dict[Path, tuple[int, int]] = {}
        self._keys: dict[Path, tuple[int, int]] = {}
        # Paths of one-line scalars whose characters map 1:1 onto the source,
        # with the column of their first character: positions inside them are exact.
        self._exact: dict[Path, tuple[int, int]] = {}

    def value(self, path: Path) -> tuple[int, int]:
        for i in range(len(path), -1, -1):
            found = self._values.get(path[:i])
            if found is not None:
                return found
        return (1, 1)

    def key(self, path: Path) -> tuple[int, int]:
        """Where the mapping key leading to ``path`` is written (else its value)."""
        return self._keys.get(path) or self.value(path)

    def has(self, path: Path) -> bool:
        return path in self._values

    def at_offset(self, path: Path, offset: int) -> tuple[int, int]:
        """The position of character ``offset`` of the string at ``path``."""
        exact = self._exact.get(path)
        if exact is None:
            return self.value(path)
        return exact[0], exact[1] + offset

    def diag(
        self,
        path: Path,
        message: str,
        *,
        code: str,
        key: bool = False,
        offset: int | None = None,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> Diagnostic:
        """A diagnostic placed at the value (or key, or a character) at ``path``."""
        if offset is not None:
            line, col = self.at_offset(path, offset)
        elif key:
            line, col = self.key(path)
        else:
            line, col = self.value(path)
        return Diagnostic(self.file, line, col, message, code, severity, hint)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, loader: Any, text: str, smap: SourceMap) -> None:
        self.loader = loader
        self.text = text
        self.smap = smap
        self.diags: list[Diagnostic] = []
        self.count = 0
        self.active: set[int] = set()  # node ids on the current walk (recursive aliases)

    def error(self, node: Node, message: str, code: str, hint: str | None = None) -> None:
        line, col = _pos(node)
        self.diags.append(Diagnostic(self.smap.file, line, col, message, code, "error", hint))

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            message = f"the document expands to more than {MAX_NODES} values (aliases included)"
            raise _TooLarge(node, message, "yaml_alias")
        if len(path) > MAX_DEPTH:
            raise _TooLarge(node, f"values nest more than {MAX_DEPTH} levels deep", "yaml_depth")
        self.smap._values.setdefault(path, _pos(node))
        if node.tag not in _ALLOWED_TAGS:
            self.error(
                node,
                f"tag '{_show_tag(node.tag)}' is not allowed: lyth.yaml holds plain data "
                "(strings, numbers, booleans, null, dates, lists and mappings)",
                "yaml_tag",
                "remove the tag",
            )
            return None
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:  # the common case, without the constructor's overhead
                value: Any = node.value
            else:
                value = self.scalar(node)
                if value is _INVALID:
                    return None
            if isinstance(value, str):
                self._note_exact(node, value, path)
            return value
        if id(node) in self.active:
            self.error(node, "an alias refers to a value that contains it", "yaml_alias")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode) -> Any:
        """A typed scalar (a number, a date ...); ``_INVALID`` after reporting one that
        looks like its type but is not (``2024-13-45``, ``0x``, ``1_000_``)."""
        try:
            return self.loader.construct_object(node)
        except Exception as e:  # PyYAML's constructors raise what int(), date() raise
            kind = _show_tag(node.tag)[2:] or "value"
            detail = str(e).split("\n")[0]
            self.error(
                node,
                f"{node.value!r} is not a valid {kind} ({detail})",
                "yaml_value",
                f'quote it to keep it as text: "{node.value}"',
            )
            return _INVALID

    def _note_exact(self, node: ScalarNode, value: str, path: Path) -> None:
        start, end = node.start_mark, node.end_mark
        if start.line != end.line:
            return
        quoted = node.style in ("'", '"')
        if node.style not in (None, "", "'", '"'):  # libyaml spells "plain" as ""
            return
        raw = self.text[start.index + quoted : end.index - quoted]
        if raw == value:
            self.smap._exact[path] = (start.line + 1, start.column + 1 + quoted)

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self.key(key_node)
            if key is None:
                continue
            if key in first_seen:
                line = first_seen[key].start_mark.line + 1
                self.error(
                    key_node,
                    f"duplicate key '{key}' (first defined on line {line}); "
                    "YAML would silently keep only the last one",
                    "duplicate_key",
                    "remove or rename one of them",
                )
                continue
            first_seen[key] = key_node
            self.smap._keys[(*path, key)] = _pos(key_node)
            result[key] = self.build(value_node, (*path, key))
        for merge in merges:
            self.merge(merge, path, result)
        return result

    def key(self, key_node: Node) -> str | None:
        if not isinstance(key_node, ScalarNode):
            self.error(key_node, "a mapping key must be a plain string", "yaml_key")
            return None
        if key_node.tag not in _ALLOWED_TAGS:
            self.error(
                key_node,
                f"tag '{_show_tag(key_node.tag)}' is not allowed on a key",
                "yaml_tag",
                "remove the tag",
            )
            return None
        key = self.scalar(key_node)
        if key is _INVALID:
            return None
        if isinstance(key, str):
            return key
        raw = key_node.value
        kind = "null" if key is None else type(key).__name__
        self.error(
            key_node,
            f"key {raw!r} is read by YAML as {kind}, not as a string",
            "yaml_key",
            f'quote it: "{raw}"' if raw else "give the key a name",
        )
        return None

    def merge(self, merge: Node, path: Path, into: dict[str, Any]) -> None:
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.error(source, "'<<' merges mappings only", "yaml_merge")
                continue
            merged = self.build(source, path)
            if isinstance(merged, dict):
                for k, v in merged.items():
                    into.setdefault(k, v)


class _TooLarge(Exception):
    def __init__(self, node: Node, message: str, code: str) -> None:
        self.node = node
        self.message = message
        self.code = code


_INVALID: Any = object()


def _syntax_error(e: yaml.YAMLError, file: str, text: str) -> Diagnostic:
    if isinstance(e, yaml.MarkedYAMLError) and e.problem_mark is not None:
        mark = e.problem_mark
        message = e.problem or "invalid YAML"
        if e.context:
            at = f" started on line {e.context_mark.line + 1}" if e.context_mark else ""
            message = f"{message} ({e.context}{at})"
        hint = None
        if text[mark.index : mark.index + 1] == "\t":
            hint = "indent with spaces; YAML does not allow tabs"
        elif "another document" in message:
            message = "found a second document ('---'); a lyth.yaml holds exactly one"
        return Diagnostic(file, mark.line + 1, mark.column + 1, message, "yaml", "error", hint)
    if isinstance(e, yaml.reader.ReaderError):
        before = text[: e.position]
        line = before.count("\n") + 1
        col = e.position - (before.rfind("\n") + 1) + 1
        return Diagnostic(file, line, col, f"unreadable character {e.character!r}", "yaml")
    return Diagnostic(file, 1, 1, f"invalid YAML: {e}", "yaml")


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse one YAML document: ``(data, source map, diagnostics)``.

    ``data`` is None when the document is empty or cannot be parsed; values
    that had errors (a forbidden tag, a duplicate key) are left out.
    """
    smap = SourceMap(file)
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as e:
            return None, smap, [_syntax_error(e, file, text)]
        if root is None:
            return None, smap, []
        builder = _Builder(loader, text, smap)
        try:
            data = builder.build(root, ())
        except _TooLarge as e:
            line, col = _pos(e.node)
            return None, smap, [Diagnostic(file, line, col, e.message, e.code)]
        return data, smap, builder.diags
    finally:
        loader.dispose()
