"""The web app (CLI included) reaches the engine through one door: it never imports a table
(engine.storage) and never opens a transaction or session of its own; writes are Engine
commands, reads use `engine.db.read()` with the engine's read functions."""
import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
FORBIDDEN_CALLS = {"transaction", "session", "begin"}


def _offences(path: Path):
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine.storage"):
            yield f"{path}:{node.lineno} imports {node.module}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("engine.storage"):
                    yield f"{path}:{node.lineno} imports {alias.name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in FORBIDDEN_CALLS:
            yield f"{path}:{node.lineno} calls .{node.func.attr}()"


def test_nothing_under_web_imports_storage_or_opens_a_transaction():
    offences = [o for path in sorted(WEB.rglob("*.py")) for o in _offences(path)]
    assert offences == []


def test_the_check_sees_what_it_should(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("from engine.storage import User\nimport engine.storage.db\n"
                      "def f(engine):\n    with engine.db.transaction() as s:\n        pass\n"
                      "    engine.session()\n", "utf-8")
    assert len(list(_offences(sample))) == 4
