"""A file is served only to people who may see its case; anyone else gets 404."""
from flask import send_file
from flask_login import login_required

from engine.commands import attachments

from ..extensions import current_actor, current_engine
from . import bp


@bp.get("/files/<int:file_id>")
@login_required
def download(file_id):
    engine = current_engine()
    with engine.db.read() as s:
        row = attachments.file_for(s, current_actor(), file_id)
    path = attachments.store_for(engine).path(row.sha256)
    return send_file(path, mimetype=row.content_type, as_attachment=True,
                     download_name=row.original_name, etag=row.sha256, max_age=0)
