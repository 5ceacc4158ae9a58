"""The campaign as data: its calendar, its organisations, and starting it.

Nothing about a particular year lives here: dates, participating provinces, themes, activity
forms and the frugality limit come from a calendar file (processes/calendar-*.json), the
organisations from a CSV file (processes/organisations.csv). A 2027 campaign is a new
calendar file, not new code.
"""
import csv
import json
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select

from engine.errors import InvalidData
from engine.storage import Case, Organisation

DATE_KEYS = ("deployment", "plan_deadline", "implementation_start", "implementation_end",
             "summary_deadline", "evaluation")
CSV_COLUMNS = ("code", "kind", "parent", "name", "name_en", "batch")
KINDS = ("ministry", "committee", "province", "city", "other")


# -- the calendar ---------------------------------------------------------------------------

def load_calendar(source) -> dict:
    """Read and check a calendar (a path or an already parsed dict)."""
    if isinstance(source, dict):
        calendar = dict(source)
    else:
        path = Path(source)
        try:
            calendar = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise InvalidData(f"Campaign calendar {path} does not exist.") from None
        except ValueError as err:
            raise InvalidData(f"Campaign calendar {path} is not valid JSON: {err}") from None
    check_calendar(calendar)
    return calendar


def check_calendar(calendar: dict) -> None:
    problems = {}
    if not isinstance(calendar, dict):
        raise InvalidData("A campaign calendar must be a JSON object.")
    for key in ("campaign", "title", "ministry"):
        if not isinstance(calendar.get(key), str) or not calendar.get(key):
            problems[key] = ["is required (text)"]
    dates = calendar.get("dates") if isinstance(calendar.get("dates"), dict) else {}
    parsed = []
    for key in DATE_KEYS:
        value = dates.get(key)
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError
            parsed.append((key, moment))
        except (TypeError, ValueError):
            problems[f"dates.{key}"] = [("must be an ISO 8601 date-time with its UTC offset, "
                                         "YYYY-MM-DDTHH:MM:SS+08:00")]
    for (first, a), (second, b) in pairwise(parsed):
        if a > b:
            problems.setdefault(f"dates.{second}", []).append(f"comes before dates.{first}")
    for key in ("plan_reminder_days_before", "material_days_after_activity", "budget_limit"):
        value = calendar.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems[key] = ["must be a number of at least 0"]
    provinces = calendar.get("provinces")
    if not isinstance(provinces, list) or not provinces or not all(isinstance(p, str) and p for p in provinces):
        problems["provinces"] = ["must be a non-empty list of organisation codes"]
    elif len(set(provinces)) != len(provinces):
        problems["provinces"] = ["lists a province twice"]
    for key in ("themes", "activity_forms"):
        items = calendar.get(key)
        if not isinstance(items, list) or not items or not all(
                isinstance(i, dict) and i.get("code") and i.get("zh") for i in items):
            problems[key] = ["must be a non-empty list of {code, zh, en}"]
    if problems:
        raise InvalidData(f"The campaign calendar has {len(problems)} problem(s).", problems)


def shift_calendar(calendar: dict, deployment: datetime) -> dict:
    """The same calendar moved so that its deployment falls on `deployment` (every interval
    kept): a demo or a dress rehearsal on today's dates."""
    dates = {k: datetime.fromisoformat(v) for k, v in calendar["dates"].items()}
    delta = deployment - dates["deployment"]
    return {**calendar, "dates": {k: (v + delta).isoformat() for k, v in dates.items()}}


def campaign_data(session, calendar: dict, provinces=None) -> dict:
    """The national case's initial data: the calendar plus what the cases need to know
    about the organisations taking part (names, each province's cities, city batches)."""
    codes = list(provinces or calendar["provinces"])
    wanted = {calendar["ministry"], *codes}
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    missing = sorted(code for code in wanted if code not in orgs)
    if missing:
        raise InvalidData(f"The calendar names organisations that do not exist: {', '.join(missing)}. "
                          "Import them first (liandong import-orgs).")
    cities = [{"code": o.code, "parent": o.parent.code, "name": o.name, "name_en": o.name_en,
               "batch": (o.attributes or {}).get("batch")}
              for o in orgs.values() if o.kind == "city" and o.parent is not None and o.parent.code in codes]
    cities.sort(key=lambda c: c["code"])
    names = {code: orgs[code].name for code in wanted}
    names.update({c["code"]: c["name"] for c in cities})
    return {**calendar, "provinces": codes, "organisations": names, "cities": cities,
            "batches": {c["code"]: c["batch"] or 0 for c in cities},
            # the deployment form offers the provinces by name, not by code
            "province_options": [{"code": c, "name": orgs[c].name, "name_en": orgs[c].name_en} for c in codes]}


def start_campaign(engine, calendar, user="system", provinces=None):
    """Start the national campaign case with the calendar in its data."""
    calendar = load_calendar(calendar)
    with engine.db.read() as session:
        data = campaign_data(session, calendar, provinces)
    return engine.start_case("campaign", user, data, organisation=calendar["ministry"],
                             business_key=calendar["campaign"], title=calendar["title"], by_hand=False)


def running_campaign(session, key: str):
    """The id of the running national case with business key `key`, or None."""
    return session.scalar(select(Case.id).where(Case.process_key == "campaign",
                                                Case.business_key == key, Case.status == "running"))


# -- organisations from CSV -------------------------------------------------------------------

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


# -- the demo ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoUser:
    username: str
    organisation: str
    role: str
    display_name: str
    password: str | None  # None: the user existed before and kept their password
    created: bool


def setup_demo(engine, users_csv, passwords_file) -> list[DemoUser]:
    """Create the demo users listed in `users_csv` (username, organisation, role,
    display_name); idempotent. Generated passwords are kept in `passwords_file` (mode 600)
    so a second run prints the same ones."""
    import secrets

    from engine.people import trail
    from engine.people.identity import create_user
    from engine.storage import User
    passwords_file = Path(passwords_file)
    known = json.loads(passwords_file.read_text("utf-8")) if passwords_file.is_file() else {}
    rows = list(csv.DictReader(Path(users_csv).read_text("utf-8-sig").splitlines()))
    made = []
    with engine.db.transaction() as session:
        for row in rows:
            name = row["username"].strip()
            exists = session.scalar(select(User).where(User.username == name)) is not None
            if not exists:
                known[name] = secrets.token_urlsafe(9)
                create_user(session, name, known[name], row.get("display_name", ""),
                            [(row["organisation"].strip(), row["role"].strip())])
                trail.record(session, engine.system_actor, engine.now(), "user_created", name,
                             display_name=row.get("display_name", ""), password_set=True,
                             memberships=[[row["organisation"].strip(), row["role"].strip()]])
            made.append(DemoUser(name, row["organisation"].strip(), row["role"].strip(),
                                 row.get("display_name", ""), known.get(name), not exists))
    engine.actors.clear()
    passwords_file.parent.mkdir(parents=True, exist_ok=True)
    passwords_file.write_text(json.dumps(known, ensure_ascii=False, indent=2), "utf-8")
    passwords_file.chmod(0o600)
    return made
