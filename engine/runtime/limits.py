"""SpiffWorkflow 3.x walks the task tree with TaskIterator(max_depth=1000) by default.

A loop adds depth on every pass, so past roughly 330 iterations of a three-element loop
`do_engine_steps` stops seeing the ready task and the case silently stalls or ends. The
depth limit exists to stop runaway recursion, which a tree walk cannot have, so the engine
lifts the default of both iterator classes once at import; `tests/engine/test_spiff_edges.py`
proves it with a loop of 600 iterations.
"""
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

MAX_TREE_DEPTH = 10_000_000


def lift_depth_limit() -> None:
    for iterator in (TaskIterator, BpmnTaskIterator):
        defaults = list(iterator.__init__.__defaults__)
        # both signatures: (end_at_spec, max_depth, ...)
        if defaults[1] < MAX_TREE_DEPTH:
            defaults[1] = MAX_TREE_DEPTH
            iterator.__init__.__defaults__ = tuple(defaults)
