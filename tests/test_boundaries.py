"""The house's rules, read from the code: the web reaches the engine only through its
commands and read API, the engine has no import circle, and no module outgrows one job.

Imports are read with `ast`, every one of them: at module level and inside functions, so a
circle hidden in a function body counts as much as one at the top of a file.
"""
import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX_LINES = 400
#: The engine's rooms, lowest floor first: a room imports only rooms on floors below its own
#: (DEVELOPERS.md, "The house"). `engine` is the package's face (engine/__init__.py).
FLOORS = [
    {"errors", "clock", "config"},
    {"storage", "sandbox"},
    {"runtime", "people"},
    {"models", "reading", "ops"},
    {"case"},
    {"commands"},
    {"core"},
    {"scheduler", "campaign", "engine"},
    {"bench"},
]
MAX_ENGINE_TOP_MODULES = 12
#: Calls that open a transaction of their own; under web/ every write is an Engine command.
TRANSACTION_CALLS = {"transaction", "session", "begin"}


def _sources(folder: str):
    skip = {"migrations", "node_modules", "static"}
    return sorted(p for p in (ROOT / folder).rglob("*.py") if not skip & set(p.parts))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(path: Path, package: str | None = None):
    """(line, imported module) for every import in the file, relative ones resolved against
    `package`; a `from package import name` yields `package.name` too (name may be a module)."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = _package(path) if package is None else package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def test_the_web_imports_no_storage_and_opens_no_transaction():
    found = []
    for path in _sources("web"):
        rel = path.relative_to(ROOT)
        for line, name in _imports(path):
            if name == "engine.storage" or name.startswith("engine.storage."):
                found.append(f"{rel}:{line} imports {name}")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in TRANSACTION_CALLS):
                found.append(f"{rel}:{node.lineno} calls .{node.func.attr}()")
    assert not found, "the web reaches past the engine's commands:\n" + "\n".join(found)


def _engine_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in _sources("engine")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {target for _line, target in _imports(path)
                       if target in modules and target != name
                       and not name.startswith(target + ".")}  # a package's own __init__
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_engine_has_no_import_circle():
    circles = _circles(_engine_graph())
    assert not circles, "import circles inside engine/: " + "; ".join(" <-> ".join(c) for c in circles)


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "engine"


def test_each_room_imports_only_the_floors_below_it():
    floor = {room: number for number, rooms in enumerate(FLOORS) for room in rooms}
    rooms = {_room(m) for m in _engine_graph()}
    assert rooms <= set(floor), f"rooms with no floor: {sorted(rooms - set(floor))}"
    upward = sorted(f"{a} -> {b}" for a, targets in _engine_graph().items() for b in targets
                    if floor[_room(b)] >= floor[_room(a)] and _room(a) != _room(b))
    assert not upward, "imports that reach sideways or up a floor:\n" + "\n".join(upward)


def test_the_circle_check_sees_an_import_inside_a_function(tmp_path):
    graph = {"engine.a": {"engine.b"}, "engine.b": {"engine.a"}, "engine.c": {"engine.a"}}
    assert _circles(graph) == [["engine.a", "engine.b"]]
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef later():\n    from ..commands import links\n")
    assert (4, "engine.commands.links") in set(_imports(module, package="engine.case"))


def test_the_engine_never_imports_flask():
    found = [f"{p.relative_to(ROOT)}:{line}" for p in _sources("engine")
             for line, name in _imports(p) if name.split(".")[0] in ("flask", "flask_babel", "web")]
    assert not found, "engine/ imports Flask or the web app: " + ", ".join(found)


@pytest.mark.parametrize("folder", ["engine", "web"])
def test_no_module_outgrows_one_job(folder):
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in _sources(folder)
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(long)


def test_the_engine_keeps_its_rooms():
    top = sorted(p.name for p in (ROOT / "engine").glob("*.py"))
    assert len(top) <= MAX_ENGINE_TOP_MODULES, f"{len(top)} modules directly under engine/: {top}"
