"""Exports for auditors: a case's full history as JSON or CSV, a search result as CSV.

The JSON export carries each event's stored hash and predecessor hash, so whoever receives
it can recompute the chain without access to the database.
"""
import csv
import io
import json

from sqlalchemy import select

from engine.reading.history import case_history
from engine.storage import AuditEvent

EVENT_COLUMNS = ("case_id", "seq", "at", "kind", "actor", "actor_name", "organisation",
                 "organisation_name", "element_id", "task_id", "task", "changes", "files",
                 "path", "message", "hash")
CASE_COLUMNS = ("id", "process_key", "version", "title", "business_key", "status", "stage",
                "organisation", "org_path", "started_by", "started_at", "ended_at", "parent_case_id")


def _iso(value):
    return value.isoformat() if value is not None else None


def case_row(case) -> dict:
    return {"id": case.id, "process_key": case.process_key,
            "version": case.version.version if case.version else None, "title": case.title,
            "business_key": case.business_key, "status": case.status, "stage": case.stage,
            "organisation": case.organisation.code if case.organisation else None,
            "org_path": case.org_path, "started_by": case.started_by,
            "started_at": _iso(case.started_at), "ended_at": _iso(case.ended_at),
            "parent_case_id": case.parent_case_id}


def case_document(session, actor, case_id: int) -> dict:
    """The whole history of one case as plain data (raises NotFound if not visible)."""
    history = case_history(session, actor, case_id)
    raw = {e.seq: e for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))}
    return {
        "case": {**case_row(history.case), "facts": history.case.facts,
                 "audit_seq": history.case.audit_seq, "audit_head": history.case.audit_head},
        "parent": history.parent.id if history.parent else None,
        "children": [child.id for child in history.children],
        "path": history.path,
        "counts": history.counts,
        "active": history.active,
        "events": [{
            "seq": e.seq, "at": _iso(e.at), "kind": e.kind, "actor": e.actor,
            "actor_name": e.actor_name, "organisation": e.organisation,
            "organisation_name": e.organisation_name, "element_id": e.element_id,
            "task_id": e.task_id, "detail": e.detail,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in e.files],
            "prev_hash": raw[e.seq].prev_hash, "hash": e.hash,
            "key_id": raw[e.seq].key_id,  # the HMAC key that chained it (None: legacy SHA-256)
        } for e in history.entries],
    }


def case_json(session, actor, case_id: int) -> str:
    return json.dumps(case_document(session, actor, case_id), ensure_ascii=False, indent=2) + "\n"


def case_csv(session, actor, case_id: int, words=None) -> str:
    """One line per event; the diff, files and path as compact text in their own columns.

    `words` (optional) names things for a person (the web passes the reader's labels): an
    object with `event(kind)`, `element(version_id, element_id, fallback)`,
    `org(code, fallback)`, `field(key)` (None: no label) and `value(key, value)`. With it,
    the kind, task name, organisation, changes and path columns carry labels; the codes
    stay in their own columns (element_id, organisation) for whoever matches them up."""
    history = case_history(session, actor, case_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EVENT_COLUMNS)
    version = history.case.process_version_id
    for e in history.entries:
        if words is None:
            kind, task_name, org_name = e.kind, e.task_name or "", e.organisation_name or ""
            changes = "; ".join(f"{key}: {_text(before)} -> {_text(after)}" for key, before, after in e.changes)
            path = " > ".join(e.path)
        else:
            kind = words.event(e.kind)
            task_name = words.element(version, e.element_id, e.task_name or "") if e.element_id else (e.task_name or "")
            org_name = words.org(e.organisation, e.organisation_name or "") if e.organisation else (e.organisation_name or "")
            changes = "; ".join(f"{words.field(key) or key}: {_shown(words, key, before)} -> {_shown(words, key, after)}"
                                for key, before, after in e.changes)
            path = " > ".join(words.element(version, step, step) for step in e.path)
        writer.writerow([
            history.case.id, e.seq, _iso(e.at), kind, e.actor, e.actor_name, e.organisation or "",
            org_name, e.element_id or "", e.task_id or "", task_name, changes,
            "; ".join(f"{f.name} sha256={f.sha256}" for f in e.files),
            path, e.message or "", e.hash])
    return out.getvalue()


def _shown(words, key, value) -> str:
    return "∅" if value is None else words.value(key, value)


def cases_csv(cases) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CASE_COLUMNS)
    for case in cases:
        row = case_row(case)
        writer.writerow(["" if row[c] is None else row[c] for c in CASE_COLUMNS])
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def dashboard_csv(board) -> str:
    """The dashboard's table: one line per row case, a column per figure and activity group."""
    definition = board.definition
    groups = [(fact, value) for fact in definition.activity_groups for value in board.group_values(fact)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["organisation", "organisation_name", "case_id", "status", "stage", "overdue_tasks"]
                    + [f"reached_{s['id']}" for s in definition.stages]
                    + [c["id"] for c in definition.columns] + ["activities"]
                    + [c["id"] for c in definition.activity_columns]
                    + [f"{fact}:{value}" for fact, value in groups])
    for row in board.rows:
        reached = {stage: at for stage, at in row.stages_reached}
        writer.writerow([row.organisation, row.organisation_name, row.case_id, row.status, row.stage or "",
                         row.overdue]
                        + [_iso(reached.get(s["id"])) or "" for s in definition.stages]
                        + [_cell(row.values.get(c["id"])) for c in definition.columns] + [row.activities]
                        + [row.activity_values.get(c["id"], 0) for c in definition.activity_columns]
                        + [row.activity_groups.get(fact, {}).get(value, 0) for fact, value in groups])
    return out.getvalue()


def _cell(value):
    return "" if value is None else value
