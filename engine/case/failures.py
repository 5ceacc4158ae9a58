"""What a failed command leaves: a clear error for the user and a note on the case.

A failure inside the engine (a script error, a broken model) rolls the command's whole
transaction back; `record_failure` then notes the error on the case, with the failing
element, in a transaction of its own.
"""
import logging
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.case import audit
from engine.case.rows import lock_case
from engine.errors import Conflict, ExecutionError, LiandongError, NotFound
from engine.ops import metrics
from engine.ops.health import is_outage
from engine.runtime import state as serialization
from engine.runtime import workflow as runtime

log = logging.getLogger(__name__)


class FailureNote:
    """Which case a command was working on, for the error note written after rollback;
    for a task's completion also the task and the data submitted, so an administrator can
    retry it (engine.commands.repair)."""

    case_id = None
    task_id = None
    submitted = None
    submitted_by = None


@contextmanager
def engine_errors(engine):
    """Turn what SpiffWorkflow or the sandbox raised into a user-facing ExecutionError.

    Wrap it around the whole transaction: the note on the case is written only after the
    command's own transaction has rolled back.
    """
    note = FailureNote()
    try:
        yield note
    except StaleDataError as err:
        raise Conflict(f"Case {note.case_id} was changed by someone else at the same moment; "
                       "reload it and try again.") from err
    except LiandongError:
        raise
    except Exception as err:  # noqa: BLE001 - every engine failure becomes a clear error
        if is_outage(err):
            raise  # the database is gone: nothing to note, the caller answers 503
        metrics.SCRIPT_ERRORS.inc()
        element = _failing_element(err)
        message = _describe(err, element)
        log.info("case %s failed at %s: %s", note.case_id, element, message)
        if note.case_id is not None:
            try:
                record_failure(engine, note.case_id, element, message, note)
            except Exception:  # noqa: BLE001 - the user still gets the clear error below
                log.exception("could not note the failure on case %s", note.case_id)
        raise ExecutionError(message, element) from err


def record_failure(engine, case_id: int, element_id, message: str, note=None) -> None:
    """Note the error on the case and in its audit chain. The case is locked first: another
    command may hold it and be appending to the chain, and the note goes after its events."""
    detail = {"message": message[:4000]}
    task_id = getattr(note, "task_id", None)
    if task_id is not None:
        detail.update(submitted=serialization.dump_value(note.submitted), submitted_by=note.submitted_by)
    with engine.db.transaction() as session:
        try:
            case = lock_case(session, case_id)
        except NotFound:
            return
        case.last_error, case.last_error_element = message[:4000], element_id
        audit.append(session, case, "error", engine.system_actor, engine.now(), element_id,
                     task_id, detail=detail)


def _failing_element(err):
    task = getattr(err, "task", None)
    if task is not None:
        return runtime.element_id(task)
    spec = getattr(err, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


def _describe(err, element) -> str:
    if isinstance(err, SQLAlchemyError):  # its text carries SQL and bound values: logs only
        log.warning("database error in a command: %s", err)
        where = f" at element '{element}'" if element else ""
        return (f"The database refused to store the result{where}. Nothing was changed; "
                "an administrator can find the details in the server log.")
    text = str(err) or err.__class__.__name__
    if isinstance(err, SpiffWorkflowException):
        notes = [n for n in getattr(err, "notes", []) if n not in text]
        text = "; ".join([text, *notes]) if notes else text
    where = f" at element '{element}'" if element else ""
    return f"The process failed{where}: {text}. The case was left as it was."
