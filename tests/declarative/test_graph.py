"""Drawings of DAGs: Mermaid, DOT and JSON, with composites drawn distinctly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lythonic.declarative import LoadedConfig, LythSettings, load_config
from lythonic.declarative._graph import render_graph

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfg() -> LoadedConfig:
    """The bundled lyth.yaml, loaded once."""
    return load_config(ROOT / "lyth.yaml")


def test_mermaid_shapes_and_subgraphs(cfg: LoadedConfig) -> None:
    """Plain steps are boxes, a map a subroutine with its sub-DAG nested in a subgraph."""
    text = render_graph(cfg.dags["word_count"], "word_count")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert 'n1["read<br/>examples.pipelines.words:read_text"]' in lines[1]
    assert any('[["chunks<br/>map ×8"]]' in line for line in lines)
    assert any(line.strip().startswith("subgraph") and "chunks (map)" in line for line in lines)
    assert any("-.->" in line for line in lines)
    assert text.count("subgraph") == text.count("\n  end")


def test_mermaid_switch_and_call(cfg: LoadedConfig) -> None:
    """A switch is a rhombus with one labelled link per branch; a call a parallelogram."""
    etl = render_graph(cfg.dags["etl"], "etl")
    assert '{"parse<br/>switch' in etl
    assert "-.->|csv|" in etl and "-.->|json|" in etl
    report = render_graph(cfg.dags["monthly_report"], "monthly_report")
    assert '[/"stats<br/>call"/]' in report


def test_mermaid_ids_are_safe(write_config, settings: LythSettings) -> None:
    """Step names that are Mermaid keywords (end, graph) still give a valid drawing."""
    path = write_config(
        """
        dags:
          d:
            nodes:
              graph: tests.declarative.fixtures.steps:text
              end: tests.declarative.fixtures.steps:upper
            edges: [graph >> end]
        """
    )
    text = render_graph(load_config(path, settings=settings).dags["d"], "d")
    assert "  n1 --> n2" in text and "end[" not in text


def test_dot(cfg: LoadedConfig) -> None:
    """DOT output is a digraph with shaped nodes and dashed clusters for sub-DAGs."""
    text = render_graph(cfg.dags["etl"], "etl", "dot")
    assert text.startswith('digraph "etl" {') and text.rstrip().endswith("}")
    assert '"parse" [label="parse\\nswitch' in text and "shape=diamond" in text
    assert 'subgraph "cluster_' in text and "style=dashed" in text
    assert text.count("{") == text.count("}")


def test_json(cfg: LoadedConfig) -> None:
    """JSON output is the DAG's describe() with its name."""
    data = json.loads(render_graph(cfg.dags["word_count"], "word_count", "json"))
    assert data["dag"] == "word_count"
    assert data["nodes"]["chunks"]["kind"] == "map"
    assert {"upstream": "split", "downstream": "chunks"} in data["edges"]


def test_unknown_format(cfg: LoadedConfig) -> None:
    """An unknown format is refused."""
    with pytest.raises(ValueError, match="unknown graph format"):
        render_graph(cfg.dags["etl"], "etl", "svg")


def test_step_descriptions_are_shown(write_config, settings: LythSettings) -> None:
    """A step's description is Mermaid's italic last line, DOT's tooltip and a JSON field,
    in sub-DAGs too."""
    from lythonic.declarative._graph import config_notes

    path = write_config(
        """
        dags:
          inner:
            nodes:
              up: {ref: tests.declarative.fixtures.steps:upper, description: 'Shouts "it"'}
          outer:
            nodes:
              w: {ref: tests.declarative.fixtures.steps:words, description: Splits <text>}
              m: {map: inner}
            edges: [w >> m]
        """
    )
    cfg = load_config(path, settings=settings)
    notes = config_notes(cfg)
    mermaid = render_graph(cfg.dags["outer"], "outer", notes=notes)
    assert "<br/><i>Splits #lt;text#gt;</i>" in mermaid
    assert "<br/><i>Shouts #quot;it#quot;</i>" in mermaid
    dot = render_graph(cfg.dags["outer"], "outer", "dot", notes=notes)
    assert 'tooltip="Splits <text>"' in dot and 'tooltip="Shouts \\"it\\""' in dot
    data = json.loads(render_graph(cfg.dags["outer"], "outer", "json", notes=notes))
    assert data["nodes"]["w"]["description"] == "Splits <text>"
    assert "description" not in data["nodes"]["m"]
    assert data["nodes"]["m"]["sub_dags"][""]["nodes"]["up"]["description"] == 'Shouts "it"'
