"""Two people complete the same task at the same moment: exactly one wins.

The interleaving is forced, not hoped for (as Camunda's concurrency tests do): the first
command is held inside its transaction, after it locked and loaded the case, while the
second starts; only when the second is seen waiting is the first let go.
"""
import threading

import pytest

from engine import Conflict
from tests.conftest import bpmn, hold_after_load, interleave


def test_same_task_completed_twice_at_once(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    task_id = engine.start_case("plan_review", "zj_staff").tasks[0]
    first_loaded, release = hold_after_load(engine, "first")
    outcomes = {}

    def attempt(user):
        try:
            engine.complete_task(task_id, user, {"title": f"by {user}", "budget": 1})
            outcomes[threading.current_thread().name] = "ok"
        except Conflict as err:
            outcomes[threading.current_thread().name] = err

    first = threading.Thread(target=attempt, args=("zj_staff",), name="first")
    second = threading.Thread(target=attempt, args=("zj_staff2",), name="second")
    interleave(first_loaded, release, first, second, "the second command must wait for the case's lock")

    assert outcomes["first"] == "ok"
    conflict = outcomes["second"]
    assert isinstance(conflict, Conflict)
    assert task_id in str(conflict) and "already completed by zj_staff" in str(conflict)
    [review_a, review_b] = engine.tasks("ministry_officer")
    assert review_a.case_id == review_b.case_id


@pytest.mark.parametrize("rounds", [8])
def test_many_racers_one_winner(campaign_orgs, rounds):
    """Without forcing: several threads race on fresh tasks; each task completes once."""
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    for _ in range(rounds):
        task_id = engine.start_case("plan_review", "zj_staff").tasks[0]
        results = []
        barrier = threading.Barrier(3)

        def attempt(user):
            barrier.wait()
            try:
                engine.complete_task(task_id, user, {"title": user, "budget": 1})
                results.append("ok")
            except Conflict:
                results.append("conflict")

        threads = [threading.Thread(target=attempt, args=(u,))
                   for u in ("zj_staff", "zj_staff2", "zj_staff")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert sorted(results) == ["conflict", "conflict", "ok"]


def test_a_task_claimed_while_another_completes_it_is_not_completed(campaign_orgs):
    """The completer read the task before the claim committed; the claim still wins."""
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    started = engine.start_case("plan_review", "zj_staff")
    task_id = started.tasks[0]
    claim_loaded, release = hold_after_load(engine, "claim")
    outcomes = {}

    def claim():
        engine.claim_task(task_id, "zj_staff2")
        outcomes["claim"] = "ok"

    def complete():
        try:
            engine.complete_task(task_id, "zj_staff", {"title": "mine", "budget": 1})
            outcomes["complete"] = "ok"
        except Conflict as err:
            outcomes["complete"] = err

    claimer = threading.Thread(target=claim, name="claim")
    completer = threading.Thread(target=complete, name="complete")
    interleave(claim_loaded, release, claimer, completer, "completing must wait for the case's lock")

    assert outcomes["claim"] == "ok"
    assert isinstance(outcomes["complete"], Conflict) and "zj_staff2" in str(outcomes["complete"])
    [task] = engine.tasks("zj_staff2")
    assert (task.id, task.state, task.assignee) == (task_id, "ready", "zj_staff2")
