"""Word count, map-reduce style: split a text into chunks, count each chunk in a
sub-DAG (in parallel), merge the counts.

Declared in ``word_count.yaml`` (and in the top-level ``lyth.yaml``);
``word_count_dag()`` builds the same DAG in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from lythonic.compose.namespace import Dag, dag_factory

CORPUS = Path(__file__).with_name("samples") / "corpus.txt"

_WORD = re.compile(r"[a-z][a-z'-]*")
_STOP = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it"),
        *("its", "of", "on", "or", "that", "the", "their", "them", "they", "this", "to"),
        *("was", "what", "when", "where", "which", "who", "will", "with"),
    }
)


def read_text(path: str | None = None) -> str:
    """The text to count: the file at ``path``, or the bundled corpus."""
    return Path(path).read_text(encoding="utf-8") if path else CORPUS.read_text(encoding="utf-8")


def split_text(text: str, parts: int = 4) -> list[str]:
    """Cut the text into ``parts`` chunks of whole lines."""
    lines = text.splitlines(keepends=True)
    size = max(1, -(-len(lines) // parts))
    return ["".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def tokenize(text: str) -> list[str]:
    """Lower-case words, without stop words."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def count(words: list[str]) -> dict[str, int]:
    """How often each word occurs."""
    return dict(Counter(words))


def top_words(counts: list[dict[str, int]], top: int = 10) -> dict[str, int]:
    """Merge the per-chunk counts; the ``top`` most frequent words, most frequent first."""
    total: Counter[str] = Counter()
    for chunk in counts:
        total.update(chunk)
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


@dag_factory
def count_chunk() -> Dag:
    """The sub-DAG run for every chunk: tokenize >> count."""
    dag = Dag()
    dag.node(tokenize) >> dag.node(count)
    return dag


def word_count_dag() -> Dag:
    """The Python twin of ``word_count`` in ``word_count.yaml``."""
    dag = Dag()
    chunks = dag.map(count_chunk(), label="chunks", concurrency=8)
    dag.node(read_text, label="read") >> dag.node(split_text, label="split") >> chunks
    chunks >> dag.node(top_words, label="reduce")
    return dag
