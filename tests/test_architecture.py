"""docs/architecture.md's diagram is drawn from the real imports, and stays so.

The diagram shows one node per layer (``imaging``, ``app``) and per planning stage, and an arrow
for each direct import between them that no longer chain of imports already implies (the
transitive reduction), so a reader sees the flow rather than every shortcut. When an import
changes the flow, this test fails and prints the block to paste into the document.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import grimp

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
BEGIN = "<!-- import-diagram: begin -->"
END = "<!-- import-diagram: end -->"


def _node(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "planning" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def stage_edges() -> set[tuple[str, str]]:
    """Direct imports between layers and planning stages (the package facade excluded)."""
    graph = grimp.build_graph("app", "imaging", "planning", cache_dir=None)
    edges: set[tuple[str, str]] = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = _node(module), _node(imported)
            if source != target and source != "planning":
                edges.add((source, target))
    return edges


def transitive_reduction(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    successors: dict[str, set[str]] = {}
    for source, target in edges:
        successors.setdefault(source, set()).add(target)

    def reachable(start: str, skip: tuple[str, str]) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            node = todo.pop()
            for nxt in successors.get(node, ()):
                if (node, nxt) != skip and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    return {edge for edge in edges if edge[1] not in reachable(edge[0], edge)}


def mermaid(edges: set[tuple[str, str]]) -> str:
    def name(node: str) -> str:
        return node.replace(".", "_")

    lines = ["```mermaid", "flowchart TD"]
    lines += [f"    {name(a)}[{a}] --> {name(b)}[{b}]" for a, b in sorted(edges)]
    lines.append("```")
    return "\n".join(lines)


def documented_block() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert match, f"{DOC} lacks the {BEGIN} ... {END} block"
    return match.group(1).strip()


def test_the_diagram_is_the_import_graph() -> None:
    expected = mermaid(transitive_reduction(stage_edges()))
    assert documented_block() == expected, (
        "docs/architecture.md's diagram no longer matches the imports; replace its block with:\n"
        + expected
    )


def test_the_stages_form_one_chain() -> None:
    """Each stage imports the one below it, so the diagram reads as one flow top to bottom."""
    chain = [
        "app",
        "planning.export",
        "planning.plan",
        "planning.evaluation",
        "planning.dose",
        "planning.field",
        "planning.case",
        "planning.anatomy",
        "planning.errors",
        "imaging",
    ]
    edges = stage_edges()
    missing = [(a, b) for a, b in pairwise(chain) if (a, b) not in edges]
    assert not missing, f"stages that no longer import the one below them: {missing}"


def test_reduction_keeps_only_unimplied_arrows() -> None:
    edges = {("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")}
    assert transitive_reduction(edges) == {("a", "b"), ("b", "c"), ("c", "d")}
