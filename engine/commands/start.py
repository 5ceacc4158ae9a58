"""Starting a case, by hand or as a linked child.

It runs in one transaction (see engine.case.opened) and returns plain values, so a caller
never holds a session or a half-loaded case.
"""
from dataclasses import dataclass

from engine.models.calls import callees_at_start
from engine.models import deploy as deployment
from engine.runtime import workflow as runtime, state as serialization, values
from engine.case.failures import engine_errors
from engine.case.opened import OpenCase
from engine.errors import Forbidden, InvalidData
from engine.people.identity import organisation_by_code
from engine.storage import Case


@dataclass(frozen=True)
class Started:
    case_id: int
    status: str
    tasks: tuple  # ids of the human tasks now open
    deliver: bool = False  # messages between linked cases wait to be delivered


def start_case(engine, actor, process_key: str, data=None, business_key=None, organisation=None,
               version=None, parent_case_id=None, title=None, by_hand=True) -> Started:
    """Start a case of `process_key`. `by_hand` (the start page, the API, `liandong start`)
    holds the model's start rule: a process its parent or the calendar starts is refused,
    and the data must pass the start form; a program that supplies the data itself
    (`liandong start-campaign`) passes `by_hand=False`."""
    if data is not None and not isinstance(data, dict):
        raise InvalidData("Initial case data must be a JSON object.")
    data = dict(data or {})
    values.check_data(data, engine.settings)
    with engine_errors(engine), engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        if actor.is_auditor_only:
            raise Forbidden("Auditors read cases; they do not start them.")
        pv = deployment.version_to_start(session, process_key, version, reserve_case_id=True)
        bundle = engine.specs.get(session, pv.id)
        by_hand = by_hand and parent_case_id is None
        if by_hand and not bundle.start.by_hand:
            raise Forbidden(bundle.start.refusal(process_key))
        org = _case_organisation(session, actor, organisation)
        if org is not None and not actor.is_system and not actor.sees_path(org.path):
            raise Forbidden(f"'{actor.username}' may not start a case for organisation '{org.code}'.")
        start_roles = bundle.start_roles
        if not actor.may_start(start_roles, org.path if org is not None else ""):
            raise Forbidden(f"'{actor.username}' may not start '{process_key}': its start event is "
                            f"in the lane of {', '.join(sorted(start_roles))}.")
        if by_hand and bundle.start.form:  # stripped, choices and rules checked, like a task's form
            data = engine.forms.validate(bundle.start.form, data, {}, session,
                                        version=bundle.version_id)
        missing = missing_start_data(bundle, data)
        if missing and parent_case_id is None:
            raise InvalidData(f"'{process_key}' needs {', '.join(missing)} in its initial data "
                              f"(the model's startData).", {name: ["is required"] for name in missing})
        opened = open_new_case(engine, session, actor, pv, data, org, business_key=business_key,
                               parent_case_id=parent_case_id, title=title, case_id=pv.case_id)
        return Started(opened.case.id, opened.case.status, tuple(t.id for t in opened.new_tasks),
                       opened.deliver)


def missing_start_data(bundle, data: dict) -> list[str]:
    """The variables the model's `startData` names that `data` lacks."""
    return [name for name in bundle.start.start_data if name not in data]


@dataclass(frozen=True)
class _Home:
    id: int
    code: str
    path: str


def _case_organisation(session, actor, code):
    """The organisation a new case belongs to: `code`, or the starter's own (known from
    their memberships, no query)."""
    if code is None and actor.home is not None:
        return _Home(*actor.home)
    code = code or actor.organisation_code
    return organisation_by_code(session, code) if code else None


def open_new_case(engine, session, actor, pv, data: dict, org, business_key=None,
                  parent_case_id=None, title=None, case_id=None) -> OpenCase:
    """Create, run and save a new case of version `pv` inside the caller's transaction.

    Shared by `start_case` and by linked child cases (engine.commands.links), so both are one code
    path. `case_id`, reserved beforehand, lets the case row go out with the command's
    other writes (see OpenCase.save).
    """
    case = Case(id=case_id, lock_version=1, audit_seq=0, audit_head="", process_version_id=pv.id, process_key=pv.key, business_key=business_key,
                title=title or business_key or pv.name or pv.key, status="running",
                organisation_id=org.id if org else None, org_path=org.path if org else "/",
                parent_case_id=parent_case_id, started_by=actor.username,
                started_at=engine.now(), updated_at=engine.now(), state="", facts={},
                callees=callees_at_start(session, pv.id) if engine.specs.get(session, pv.id).pinned_calls else None)
    bundle = engine.specs.for_case(session, case)
    missing = missing_start_data(bundle, data)
    if missing:  # a parent's script passed too little: the parent's command fails, noted on it
        raise ValueError(f"start_cases('{pv.key}'): the item for '{business_key}' lacks "
                         f"{', '.join(missing)}, which '{pv.key}' needs from the case that starts it")
    workflow = runtime.new_workflow(bundle, engine.script_engine, data)
    with OpenCase(engine, session, case, actor, workflow, new=True) as opened:
        opened.advance()
        opened.save()
        detail = {"data": serialization.dump_value(data), "version": pv.version,
                  "business_key": business_key, "organisation": org.code if org else None}
        if parent_case_id is not None:
            detail["parent_case_id"] = parent_case_id
        opened.record("case_started", **detail)
    return opened
