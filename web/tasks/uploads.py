"""Files chosen on a task's form: checked and put in the content-addressed store when the
form is posted, attached to the case only by the completion itself (Engine.complete_task,
one transaction). Until then the field holds a signed `kept:` reference, so a form sent
back with errors, or saved as a draft, does not ask for the file again, and nobody can
name a stored file they did not upload."""
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from engine import InvalidData, NotFound
from engine.commands.attachments import Upload

from .schema_form import KEPT

SALT = "liandong.kept-upload"


def _signer():
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _kept(value: str):
    """(sha256, name, username) of a kept reference, or None when it was not made here."""
    try:
        sha256, name, username = _signer().loads(value[len(KEPT):])
    except (BadSignature, ValueError, TypeError):
        return None
    return sha256, name, username


def file_label(value) -> str:
    """What a file field shows: the chosen file's name, or the attached file's reference."""
    if isinstance(value, str) and value.startswith(KEPT):
        kept = _kept(value)
        return kept[1] if kept else ""
    return value or ""


def stage(engine, actor, parsed) -> dict:
    """Check and store each newly posted file; its field then holds a kept reference. A
    refused file becomes that field's error (returned as {path: [message]})."""
    problems = {}
    for fld, upload, path in parsed.uploads:
        content = upload.stream.read(engine.settings.upload_max_bytes + 1)
        try:
            staged = engine.stage_upload(upload.filename, content)
            fld.data = KEPT + _signer().dumps([staged.sha256, staged.name, actor.username])
        except InvalidData as err:
            problems[path] = [str(err)]
        fld.upload = None
    return problems


def kept_uploads(engine, actor, parsed) -> tuple[list[Upload], dict]:
    """The kept files of a parsed form, ready for Engine.complete_task, and the fields
    whose reference is not good (forged, someone else's, or gone from the store)."""
    uploads, problems = [], {}
    for fld, path in parsed.kept:
        kept = _kept(fld.data)
        if kept is None or kept[2] != actor.username:
            problems[path] = [_("Choose the file again.")]
            fld.data = None
            continue
        try:
            uploads.append(Upload(path, engine.staged_again(kept[0], kept[1])))
        except (InvalidData, NotFound) as err:
            problems[path] = [str(err)]
            fld.data = None
    return uploads, problems
