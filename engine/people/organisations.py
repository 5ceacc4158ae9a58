"""Organisations from a CSV file (code, kind, parent, name, name_en, batch): created or
updated by code, all or nothing, a bad line named by its number. The campaign's
organisations come this way (`liandong import-orgs`, `Engine.import_organisations`)."""
import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from engine.errors import InvalidData
from engine.storage import Organisation

CSV_COLUMNS = ("code", "kind", "parent", "name", "name_en", "batch")
KINDS = ("ministry", "committee", "province", "city", "other")


@dataclass
class OrgImport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)


def read_org_rows(path) -> list[tuple[int, dict]]:
    """(line number, row) pairs; raises InvalidData naming every bad line."""
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InvalidData(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise InvalidData(f"{path} is not UTF-8 text.") from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"code", "name"} <= set(reader.fieldnames):
        raise InvalidData(f"{path}: the first line must name the columns {', '.join(CSV_COLUMNS)}.")
    rows, problems, seen = [], {}, set()
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k}
        errors = []
        if not row.get("code") or "/" in row["code"] or len(row["code"]) > 64:
            errors.append("code must be 1-64 characters without '/'")
        elif row["code"] in seen:
            errors.append(f"code '{row['code']}' appears twice")
        if not row.get("name"):
            errors.append("name is required")
        if row.get("kind", "other") not in KINDS:
            errors.append(f"kind must be one of {', '.join(KINDS)}")
        if row.get("batch") and row["batch"] not in ("1", "2", "3"):
            errors.append("batch must be 1, 2 or 3")
        if row.get("parent") and row["parent"] not in seen and row["parent"] != row.get("code"):
            errors.append(f"parent '{row['parent']}' must be listed on an earlier line")
        if errors:
            problems[f"line {line}"] = errors
        seen.add(row.get("code"))
        rows.append((line, row))
    if problems:
        raise InvalidData(f"{path}: {len(problems)} bad line(s); nothing was imported.", problems)
    return rows


def import_organisations(session, path) -> OrgImport:
    """Create or update every organisation in the CSV (idempotent: matched by code).

    Parents must come before their children in the file. All or nothing: a bad line
    imports nothing and is reported with its line number."""
    result = OrgImport()
    by_code = {o.code: o for o in session.scalars(select(Organisation))}
    for _line, row in read_org_rows(path):
        parent = by_code.get(row["parent"]) if row.get("parent") else None
        attributes = {"batch": int(row["batch"])} if row.get("batch") else {}
        wanted = {"name": row["name"], "name_en": row.get("name_en") or None,
                  "kind": row.get("kind") or "other"}
        path_ = (parent.path if parent else "/") + row["code"] + "/"
        org = by_code.get(row["code"])
        if org is None:
            org = Organisation(code=row["code"], parent=parent, path=path_, attributes=attributes, **wanted)
            session.add(org)
            session.flush()
            by_code[org.code] = org
            result.created.append(org.code)
            continue
        changed = any(getattr(org, k) != v for k, v in wanted.items()) or org.path != path_ \
            or (org.attributes or {}).get("batch") != attributes.get("batch")
        if not changed:
            result.unchanged.append(org.code)
            continue
        for key, value in wanted.items():
            setattr(org, key, value)
        org.attributes = {**(org.attributes or {}), **attributes}
        if org.path != path_:
            _move(session, org, parent, path_)
        result.updated.append(org.code)
    session.flush()
    return result


def _move(session, org, parent, new_path: str) -> None:
    old = org.path
    for below in session.scalars(select(Organisation).where(Organisation.path.startswith(old))):
        below.path = new_path + below.path[len(old):]
    org.parent = parent
