"""A file is served only to people who may see its case; anyone else gets 404."""
from flask import abort, send_file
from flask_login import login_required

from engine.commands import attachments

from ..extensions import current_actor, current_engine
from . import bp

#: File ids are the `files` table's INTEGER key (32-bit on PostgreSQL). A larger number,
#: or no number at all, names no file: 404, never a database overflow and a 500.
MAX_ID = 2**31 - 1


def file_id_of(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        abort(404)
    return int(text)


@bp.get("/files/<file_id>")
@login_required
def download(file_id):
    engine = current_engine()
    with engine.db.read() as s:
        row = attachments.file_for(s, current_actor(), file_id_of(file_id))
    path = attachments.store_for(engine).path(row.sha256)
    return send_file(path, mimetype=row.content_type, as_attachment=True,
                     download_name=row.original_name, etag=row.sha256, max_age=0)
