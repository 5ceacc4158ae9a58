"""Moving running cases to a newer version of their process.

A case may move when SpiffWorkflow's diff of its workflow against the new spec says nothing
it has done or is doing changed: no completed, started, ready or waiting task whose element
was removed or changed. One exception: a ready or waiting task whose only change is where
it leads next (its outgoing flows) may move, because SpiffWorkflow's `migrate_workflow`
resets exactly those tasks and predicts their path again on the new spec.

The dry run does the same work in memory (diff, migrate, serialize, reload) and writes
nothing, so a verdict of "would migrate" means the real run will succeed unless the case
changes in between. The real run takes each case's lock and moves it in a transaction of
its own: a refused or failing case never holds back the others.
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import undefer
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.runtime import workflow as runtime, state as serialization
from engine.case.failures import engine_errors
from engine.case.opened import OpenCase
from engine.case.rows import lock_case
from engine.models.deploy import find_version
from engine.errors import LiandongError, NotFound
from engine.storage import Case, ProcessModel, ProcessVersion
from engine.models.versions import ASPECTS, REGISTRY, require_owner, spec_changes

ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
#: States migrate_workflow resets and predicts again.
RESET = TaskState.READY | TaskState.WAITING
DONE_OR_ACTIVE = ACTIVE | TaskState.COMPLETED


class Reason(str):
    """Why a case may not move: readable English, plus a `code` and `params` so a user
    interface can say it in the reader's language."""

    def __new__(cls, code: str, text: str, **params):
        reason = super().__new__(cls, text)
        reason.code, reason.params = code, params
        return reason

    def to_dict(self) -> dict:
        return {"code": self.code, "text": str(self), "params": self.params}


@dataclass
class CaseVerdict:
    case_id: int
    from_version: int | None
    to_version: int
    migratable: bool
    reasons: list = field(default_factory=list)
    changed_elements: list = field(default_factory=list)
    migrated: bool = False

    def to_dict(self) -> dict:
        return {"case_id": self.case_id, "from_version": self.from_version,
                "to_version": self.to_version, "migratable": self.migratable, "migrated": self.migrated,
                "changed_elements": list(self.changed_elements),
                "reasons": [r.to_dict() if isinstance(r, Reason) else {"code": "other", "text": r, "params": {}}
                            for r in self.reasons]}

    def __str__(self):
        if self.migrated:
            verdict = "migrated"
        elif self.migratable:
            verdict = "would migrate"
        else:
            verdict = "refused: " + "; ".join(self.reasons)
        return f"case {self.case_id} v{self.from_version} -> v{self.to_version}: {verdict}"


def _state(task) -> str:
    return TaskState.get_name(task.state).lower()


def _where(task) -> dict:
    spec = task.task_spec
    return {"element": spec.bpmn_id or spec.name, "name": spec.bpmn_name, "state": _state(task)}


def _label(task) -> str:
    spec = task.task_spec
    return f"'{spec.bpmn_name}' ({spec.bpmn_id})" if spec.bpmn_name else f"'{spec.bpmn_id or spec.name}'"


def assess(workflow, new_spec, new_deps):
    """Why `workflow` may not move to `new_spec` (empty if it may), and SpiffWorkflow's diffs."""
    top, subs = diff_workflow(REGISTRY, workflow, new_spec, new_deps)
    reasons = []
    diffs = [(workflow, top)]
    for sp_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        if sub_diff is None:
            reasons.append(Reason("subprocess_removed", f"the case is inside subprocess '{sub.spec.name}', "
                                  "which the new version removed", process=sub.spec.name))
        else:
            diffs.append((sub, sub_diff))
    for _wf, wf_diff in diffs:
        for task in wf_diff.removed:
            if task.has_state(DONE_OR_ACTIVE) and task.task_spec.bpmn_id:
                reasons.append(Reason("removed", f"{_label(task)} is {_state(task)} in this case but the new "
                                      "version removed it", **_where(task)))
        changed_specs = {}
        for task in wf_diff.changed:
            if task.has_state(DONE_OR_ACTIVE) and task.task_spec.bpmn_id:
                changed_specs.setdefault(task.task_spec, task)
        for spec, task in changed_specs.items():
            keys = _changed_keys(spec, wf_diff.alignment[task])
            if task.has_state(RESET) and set(keys) <= {"outputs"}:
                continue
            aspects = dict.fromkeys(ASPECTS.get(k, k) for k in keys)
            reasons.append(Reason("changed", f"{_label(task)} is {_state(task)} in this case and the new "
                                  f"version changed it ({', '.join(aspects)})", aspects=list(aspects),
                                  **_where(task)))
    unique = {str(r): r for r in reasons}
    return [unique[k] for k in sorted(unique)], top, subs


def _changed_keys(old, new) -> list:
    s1, s2 = REGISTRY.convert(old), REGISTRY.convert(new)
    return [k for k, v in s1.items() if s2.get(k) != v] or ["typename"]


def migrate_in_memory(workflow, new_spec, new_deps, top, subs) -> None:
    """Switch `workflow` to the new spec (SpiffWorkflow's migrate_workflow), keeping the due
    times of waiting timers: resetting a waiting timer would otherwise restart its clock."""
    waiting = {t.id: (t.task_spec.name, dict(t.internal_data))
               for t in workflow.get_tasks(state=TaskState.WAITING)}
    migrate_workflow(top, workflow, new_spec)
    for sp_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        migrate_workflow(sub_diff, sub, new_deps[sub.spec.name])
    workflow.subprocess_specs = new_deps
    for task_id, (name, internal) in waiting.items():
        task = workflow.get_task_from_id(task_id)
        if task is not None and task.task_spec.name == name and task.has_state(TaskState.WAITING):
            task.internal_data = internal


def stale_tasks(workflow) -> list[str]:
    """Tasks still pointing at a spec the new version does not have (cannot be stored)."""
    stale = []
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in wf.tasks.values():
            if wf.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                stale.append(Reason("stale", f"{_label(task)} ({_state(task)}) has no place in the new version",
                                    **_where(task)))
    return stale


def _verdict_for(engine, session, case: Case, target: ProcessVersion, changed_ids):
    """Load, assess and (in memory) migrate one case; returns (verdict, migrated workflow)."""
    verdict = CaseVerdict(case.id, case.version.version if case.version else None,
                          target.version, False, changed_elements=list(changed_ids))
    if case.process_version_id == target.id:
        verdict.reasons.append(Reason("same_version", f"already on version {target.version}",
                                      version=target.version))
        return verdict, None
    if case.status not in ("running", "suspended"):
        verdict.reasons.append(Reason("status", f"the case is {case.status}", status=case.status))
        return verdict, None
    if case.version.version > target.version:
        verdict.reasons.append(Reason("newer", f"the case is on a newer version ({case.version.version})",
                                      version=case.version.version))
        return verdict, None
    old = engine.specs.for_case(session, case)
    new = engine.specs.get(session, target.id)
    workflow = runtime.load(case.state, old, engine.script_engine)
    reasons, top, subs = assess(workflow, new.spec, new.subprocess_specs)
    if not reasons:
        migrate_in_memory(workflow, new.spec, new.subprocess_specs, top, subs)
        reasons = stale_tasks(workflow)
    if not reasons:
        # The proof: what will be stored loads again on the new spec.
        serialization.load_state(serialization.dump_state(workflow), new.spec, new.subprocess_specs)
    verdict.reasons, verdict.migratable = reasons, not reasons
    return verdict, (workflow if not reasons else None)


def _cases(session, key: str, case_ids) -> list[int]:
    query = select(Case.id).where(Case.process_key == key)
    if case_ids:
        query = query.where(Case.id.in_(list(case_ids)))
    else:
        query = query.where(Case.status.in_(("running", "suspended")))
    found = list(session.scalars(query.order_by(Case.id)))
    missing = sorted(set(case_ids or ()) - set(found))
    if missing:
        raise NotFound(f"No case {', '.join(map(str, missing))} of process '{key}'.")
    return found


def _changed_ids(engine, session, case: Case, target: ProcessVersion) -> list[str]:
    old = engine.specs.for_case(session, case)
    new = engine.specs.get(session, target.id)
    return sorted(spec_changes(old.spec, old.subprocess_specs, new.spec, new.subprocess_specs))


def migrate_cases(engine, actor, key: str, to_version: int | None = None, case_ids=None,
                  dry_run: bool = False) -> list[CaseVerdict]:
    """Move the running cases of `key` (or just `case_ids`) to `to_version` (default: the
    latest). With `dry_run` nothing is written; each case gets its verdict either way."""
    require_owner(actor, "migrate cases")
    with engine.db.read() as session:
        if session.scalar(select(ProcessModel.id).where(ProcessModel.key == key)) is None:
            raise NotFound(f"No process '{key}' is deployed.")
        target = find_version(session, key, to_version)
        target_id, target_number = target.id, target.version
        ids = _cases(session, key, case_ids)
    verdicts = []
    for case_id in ids:
        if dry_run:
            verdicts.append(_dry_run_one(engine, case_id, target_id))
        else:
            verdicts.append(_migrate_one(engine, actor, case_id, target_id, target_number))
    return verdicts


def _dry_run_one(engine, case_id: int, target_id: int) -> CaseVerdict:
    with engine.db.read() as session:
        case = session.execute(select(Case).where(Case.id == case_id)
                               .options(undefer(Case.state))).scalar_one()
        target = session.get(ProcessVersion, target_id)
        return _safe_verdict(engine, session, case, target)[0]


def _safe_verdict(engine, session, case, target):
    changed = _changed_ids(engine, session, case, target) if case.process_version_id != target.id else []
    try:
        return _verdict_for(engine, session, case, target, changed)
    except LiandongError as err:
        return CaseVerdict(case.id, case.version.version, target.version, False,
                           [Reason("error", str(err), message=str(err))], changed), None
    except Exception as err:  # noqa: BLE001 - a case SpiffWorkflow cannot move is refused, not a crash
        reason = f"SpiffWorkflow could not move the case: {err.__class__.__name__}: {err}"
        return CaseVerdict(case.id, case.version.version, target.version, False,
                           [Reason("error", reason, message=reason)], changed), None


def _migrate_one(engine, actor, case_id: int, target_id: int, target_number: int) -> CaseVerdict:
    with engine_errors(engine) as note, engine.db.transaction() as session:
        note.case_id = case_id
        case = lock_case(session, case_id)
        if engine.on_case_loaded is not None:
            engine.on_case_loaded(case_id)
        target = session.get(ProcessVersion, target_id)
        verdict, workflow = _safe_verdict(engine, session, case, target)
        if workflow is None:
            return verdict
        from_version_id = case.process_version_id
        with OpenCase(engine, session, case, actor, workflow) as opened:
            case.process_version_id = target_id
            case.callees = None  # the target version's own pins
            case.version = target
            opened.save()
            opened.record("case_migrated", from_version=verdict.from_version,
                          to_version=target_number, from_version_id=from_version_id,
                          to_version_id=target_id, changed_elements=verdict.changed_elements)
        verdict.migrated = True
        return verdict
