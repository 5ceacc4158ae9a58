"""/audit/verify: the page, and the JSON batches its script asks for one after another.

Verification runs in batches of cases (engine.case.verifying, through `Engine.verify_audit`):
the page's script asks for a batch, shows the progress and the breaks found, and asks for
the next one after the last case verified. Nothing is kept on the server between batches,
so any worker answers any batch, a closed page leaves nothing running, and a page without
scripts still gets the whole answer in one (slower) request.
"""
from flask import jsonify, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from engine.case import verifying

from ..cases.labels import event_label
from ..cases.views import trail_kinds
from ..extensions import current_actor, current_engine
from . import bp

WHAT = {
    verifying.ALTERED: _l("Altered: the event's content no longer matches its hash."),
    verifying.OUT_OF_ORDER: _l("Removed or reordered: the event does not follow the one before it."),
    verifying.GAP: _l("Removed: events are missing before this one (a gap in the numbering)."),
    verifying.TRUNCATED: _l("Removed at the end: the chain's recorded head does not match its last event."),
    verifying.MISSING: _l("Missing: the global sequence or a signed checkpoint names it, but it is gone."),
    verifying.UNSEALED: _l("Unsealed: the event was never sealed in the global sequence (written outside the engine)."),
    verifying.UNKNOWN_KEY: _l("Unknown key: the event is chained under a key this instance does not hold."),
    verifying.CHECKPOINT: _l("Checkpoint: a signed checkpoint file fails its signature or no longer matches."),
}


@bp.get("/verify")
@login_required
def verify():
    verifying.require_auditor(current_actor())
    engine, case_id = current_engine(), request.args.get("case", type=int)
    result = None
    if case_id is not None:
        result = engine.verify_audit(current_actor(), case_id=case_id)
    elif request.args.get("run") == "all":  # a page without scripts: every batch at once
        result = _whole_run(engine)
    rows = [_row(found) for found in result.breaks] if result is not None else []
    return render_template("audit/verify.html", result=result, rows=rows, case_id=case_id,
                           batch_url=url_for("audit.verify_batch"))


def _whole_run(engine):
    batch = engine.verify_audit(current_actor())
    breaks = list(batch.breaks)
    while batch.after is not None:
        batch = engine.verify_audit(current_actor(), after=batch.after)
        breaks += batch.breaks
    batch.breaks = breaks
    return batch


@bp.get("/verify/batch")
@login_required
def verify_batch():
    """One batch as JSON: {checked, total, after (null: done), breaks: [...], trail}."""
    after = max(0, request.args.get("after", 0, type=int))
    batch = current_engine().verify_audit(current_actor(), after=after)
    return jsonify(checked=batch.checked, total=batch.total, after=batch.after,
                   breaks=[_row(found) for found in batch.breaks],
                   trail=batch.trail_events)


def _row(found) -> dict:
    """A break as the page shows it, in the reader's language."""
    if found.case_id is None:
        where, link = _("People and roles history"), url_for("cases.identity_trail")
        event = str(trail_kinds().get(found.event_kind, found.event_kind or ""))
    else:
        where = _("Case %(id)s", id=found.case_id)
        if found.business_key:
            where += f" · {found.business_key}"
        link = url_for("cases.show", case_id=found.case_id)
        event = event_label(found.event_kind) if found.event_kind else ""
    what = WHAT.get(found.what)
    return {"case": found.case_id, "where": where, "link": link,
            "seq": found.seq if found.seq is not None else _("chain head"),
            "event": event, "at": format_datetime(found.at, "yyyy-MM-dd HH:mm") if found.at else "",
            "what": found.what, "found": str(what) if what else found.reason}
