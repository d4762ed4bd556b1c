"""No import circle in ``app``: every module of the GUI can be read and tested from the bottom up.

The graph counts the imports made only for type checking too (``if TYPE_CHECKING:``): a part
that names ``MainWindow`` or ``AnnotationController`` in its signatures depends on it as much
as one that imports it at run time, and that is how the circles used to close. A part names
the narrow interface it needs instead (a ``Protocol`` beside it, or the Qt class it uses).
"""

from __future__ import annotations

import grimp


def app_imports() -> dict[str, set[str]]:
    """The modules of ``app``, each with the modules of ``app`` it imports directly."""
    graph = grimp.build_graph("app", exclude_type_checking_imports=False, cache_dir=None)
    modules = {module for module in graph.modules if module.split(".")[0] == "app"}
    return {
        module: set(graph.find_modules_directly_imported_by(module)) & modules for module in modules
    }


def reachable(imports: dict[str, set[str]], start: str) -> set[str]:
    """The modules ``start`` imports directly or through others."""
    seen: set[str] = set()
    todo = list(imports.get(start, ()))
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imports.get(module, ()))
    return seen


def import_circles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other (directly or through others), largest first."""
    reach = {module: reachable(imports, module) for module in imports}
    circles: list[list[str]] = []
    placed: set[str] = set()
    for module in sorted(imports):
        if module in placed or module not in reach[module]:
            continue
        circle = sorted(other for other in reach[module] if module in reach[other])
        placed.update(circle)
        circles.append(circle)
    return sorted(circles, key=len, reverse=True)


def test_the_check_finds_a_circle_when_there_is_one():
    imports = {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a", "app.d"}, "app.d": set()}
    assert import_circles(imports) == [["app.a", "app.b", "app.c"]]
    assert import_circles({"app.a": {"app.b"}, "app.b": set()}) == []


def test_no_module_of_app_is_in_an_import_circle():
    imports = app_imports()
    assert "app.main_window" in imports["app.gui"]  # the graph is the real one
    assert import_circles(imports) == []
