"""Uploaded files (programme sheets, photos, video) attached to a case.

The bytes go to a directory store addressed by their SHA-256 (`uploads/ab/cdef…`), so the
same file uploaded twice is stored once; the `files` table holds who attached what to which
case, and the case's audit trail records `file_attached` under the case's lock. The type is
decided by the file's first bytes, not its name: a renamed executable is refused.
"""
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from engine.case import audit
from engine.reading import inbox as queries
from engine.case.rows import lock_case
from engine.errors import Forbidden, InvalidData, NotFound
from engine.storage import Attachment, Case, CaseTask
from engine.storage.files import FileStore

#: Allowed kinds (settings `upload_types` may narrow or widen the list) -> content types.
KINDS = {
    "pdf": ("application/pdf",),
    "image": ("image/png", "image/jpeg", "image/gif", "image/webp"),
    "video": ("video/mp4", "video/quicktime", "video/webm"),
    "office": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "application/vnd.openxmlformats-officedocument.presentationml.presentation",
               "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
               "application/vnd.oasis.opendocument.text",
               "application/vnd.oasis.opendocument.spreadsheet"),
}
DEFAULT_KINDS = ("pdf", "image", "video", "office")
OOXML = {".docx": KINDS["office"][0], ".xlsx": KINDS["office"][1], ".pptx": KINDS["office"][2],
         ".odt": KINDS["office"][6], ".ods": KINDS["office"][7]}
OLE = {".doc": "application/msword", ".xls": "application/vnd.ms-excel",
       ".ppt": "application/vnd.ms-powerpoint"}


def sniff(head: bytes, filename: str = "") -> str | None:
    """The content type the first bytes prove, or None. The name only tells apart formats
    that share a container (a .docx and a .xlsx are both ZIP files)."""
    ext = Path(filename).suffix.lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"PK\x03\x04") and ext in OOXML:
        return OOXML[ext]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext in OLE:
        return OLE[ext]
    return None


def allowed_types(settings) -> set[str]:
    kinds = settings.extra.get("upload_types", DEFAULT_KINDS)
    return {t for kind in kinds for t in KINDS.get(kind, (kind,))}


@dataclass(frozen=True)
class Attached:
    id: int
    sha256: str
    size: int
    content_type: str
    original_name: str


@dataclass(frozen=True)
class Staged:
    """Checked bytes already in the store, not yet attached to any case: writing them first
    is harmless (the store is content-addressed), so a command that attaches them (see
    `insert`) can do it in its own transaction and leave nothing behind if it fails."""

    sha256: str
    size: int
    content_type: str
    name: str


@dataclass(frozen=True)
class Upload:
    """A staged file for the form field at JSON path `path` (dots between keys and row
    numbers) of a task being completed: its value becomes the file's `file:<id>`."""

    path: str
    staged: Staged


def store_for(engine) -> FileStore:
    return FileStore.of(engine.settings)


def stage(engine, filename: str, content: bytes) -> Staged:
    """Check one upload (size, type by its first bytes) and put its bytes in the store."""
    name = Path((filename or "").replace("\\", "/")).name[:255] or "upload"
    if not content:
        raise InvalidData(f"The file '{name}' is empty.")
    limit = engine.settings.upload_max_bytes
    if len(content) > limit:
        raise InvalidData(f"The file '{name}' is {len(content)} bytes; the limit is {limit} bytes.")
    content_type = sniff(content[:64], name)
    if content_type is None or content_type not in allowed_types(engine.settings):
        raise InvalidData(f"The file '{name}' is not an allowed type (PDF, image, video or "
                          "office document); its content was checked, not only its name.")
    return Staged(store_for(engine).put(content), len(content), content_type, name)


def staged_again(engine, sha256: str, name: str) -> Staged:
    """A file staged by an earlier request (a form sent back with errors keeps it), checked
    again from the store's bytes."""
    path = store_for(engine).path(sha256)
    if not path.is_file():
        raise NotFound("The file chosen earlier is no longer there; choose it again.")
    with path.open("rb") as stored:
        head = stored.read(64)
    content_type = sniff(head, name)
    if content_type is None or content_type not in allowed_types(engine.settings):
        raise InvalidData(f"The file '{name}' is not an allowed type.")
    return Staged(sha256, path.stat().st_size, content_type, name)


def insert(session, engine, actor, case_id: int, task_id, staged: Staged) -> tuple[int, dict]:
    """The `files` row for a staged file, in the caller's transaction (which holds the
    case's lock); returns its id and the detail of its `file_attached` audit event.
    A case holds at most `uploads_per_case` files."""
    limit = engine.settings.uploads_per_case
    held = session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case_id))
    if held >= limit:
        raise InvalidData(f"Case {case_id} already holds {held} files; a case may hold at most {limit}.")
    row = Attachment(sha256=staged.sha256, size=staged.size, content_type=staged.content_type,
                     original_name=staged.name, case_id=case_id, task_id=task_id,
                     uploaded_by=actor.username, uploaded_at=engine.now())
    session.add(row)
    session.flush()
    return row.id, {"file_id": row.id, "sha256": staged.sha256, "size": staged.size,
                    "content_type": staged.content_type, "name": staged.name}


def attach(engine, actor, case_id: int, filename: str, content: bytes, task_id=None) -> Attached:
    """Check, store and record one upload on a case the actor may work on."""
    if actor.is_auditor_only:
        raise Forbidden("Auditors read cases; they do not change them.")
    staged = stage(engine, filename, content)
    with engine.db.transaction() as session:
        if queries.case_for(session, actor, case_id) is None:
            raise NotFound(f"Case {case_id} does not exist.")
        if task_id is not None:
            task = session.get(CaseTask, task_id)
            if task is None or task.case_id != case_id:
                raise NotFound(f"Task {task_id} does not exist.")
        case = lock_case(session, case_id)
        file_id, detail = insert(session, engine, actor, case_id, task_id, staged)
        audit.append(session, case, "file_attached", actor, engine.now(), task_id=task_id, detail=detail)
        case.updated_at = engine.now()
        return Attached(file_id, staged.sha256, staged.size, staged.content_type, staged.name)


def place(data: dict, path: str, value) -> None:
    """Set `value` at the dotted JSON `path` of `data` (keys, and row numbers in lists)."""
    *parents, last = path.split(".")
    target = data
    try:
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    except (ValueError, IndexError, TypeError, AttributeError):
        raise InvalidData(f"The form has no file field '{path}'.", {path: ["No such field."]}) from None


def files_of_case(session, actor, case_id: int) -> list[Attachment]:
    """The files on a case, or nothing when the actor may not see the case."""
    return list(session.scalars(
        select(Attachment).join(Case, Case.id == Attachment.case_id)
        .where(Attachment.case_id == case_id, queries.visible_case_clause(actor))
        .order_by(Attachment.uploaded_at, Attachment.id)))


def file_for(session, actor, file_id: int) -> Attachment:
    """One file's metadata if the actor may see its case; NotFound otherwise."""
    row = session.scalar(
        select(Attachment).join(Case, Case.id == Attachment.case_id)
        .where(Attachment.id == file_id, queries.visible_case_clause(actor)))
    if row is None:
        raise NotFound(f"File {file_id} does not exist.")
    return row
