"""`liandong bench cluster`: real gunicorn nodes and schedulers on 127.0.0.1, a scheduler
killed with SIGKILL and restarted, and nothing acknowledged lost or done twice."""
import re

import pytest

from engine.bench.cluster_bench import run_cluster_bench
from tests.conftest import POSTGRES_URL

LAST = re.compile(r"requests=(\d+) rps=[\d.]+ p50_ms=[\d.]+ p95_ms=[\d.]+ p99_ms=[\d.]+ "
                  r"conflicts=(\d+) lost=0 double_completions=0 double_timers=0 audit_ok=1")


@pytest.mark.postgres
def test_a_small_cluster_loses_nothing_through_a_killed_scheduler(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the cluster runs on PostgreSQL")
    lines = []
    figures = run_cluster_bench(1, 2, 8, 3, POSTGRES_URL, lines.append)
    match = LAST.fullmatch(lines[-1])
    assert match, "\n".join(lines)
    assert int(match.group(1)) > 20 and int(match.group(2)) >= 1  # the races gave conflicts
    assert any("killed with SIGKILL" in line for line in lines)
    assert figures["ok"] and figures["timers_fired"] >= 1


def test_the_cluster_stays_on_this_machine():
    with pytest.raises(ValueError, match="this machine"):
        run_cluster_bench(1, 1, 5, 1, "postgresql+psycopg://u@db.example.com/x", print)
