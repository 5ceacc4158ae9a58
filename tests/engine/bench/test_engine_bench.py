"""`liandong bench engine` runs on both databases and prints what it measured."""
import re

from engine.bench.engine_bench import run_engine_bench
from tests.conftest import POSTGRES_URL


def test_bench_prints_rounds_figures_and_the_ratio_last(database_url):
    lines = []
    url = POSTGRES_URL if "postgresql" in database_url else None  # it makes its own scratch
    ratio = run_engine_bench(10, url, lines.append, rounds=2)
    assert [line.split(":")[0] for line in lines if line.startswith("round")] == ["round 1", "round 2"]
    figures = dict(re.findall(r"(\w+)=([\d.]+)", next(l for l in lines if l.startswith("ms_per_instance"))))
    bare, engine, floor = (float(figures[key]) for key in ("bare", "engine", "storage_floor"))
    assert 0 < floor < engine and bare > 0
    assert lines[-1] == f"ratio_vs_bare_serialized={ratio:.2f}" and ratio > 0
    assert re.fullmatch(r"ratio_vs_bare_specless=\d+\.\d\d", lines[-2])
    assert 0 < float(figures["bare_specless"])
