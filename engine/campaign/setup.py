"""The campaign as data: its calendar, its organisations, and starting it.

Nothing about a particular year lives here: dates, participating provinces, themes, activity
forms and the frugality limit come from a calendar file (processes/calendar-*.json), the
organisations from a CSV file (processes/organisations.csv). A 2027 campaign is a new
calendar file, not new code.
"""
import csv
import json
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select

from engine.errors import InvalidData
from engine.storage import Case, Organisation

DATE_KEYS = ("deployment", "plan_deadline", "implementation_start", "implementation_end",
             "summary_deadline", "evaluation")


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

    from engine.storage import User
    passwords_file = Path(passwords_file)
    known = json.loads(passwords_file.read_text("utf-8")) if passwords_file.is_file() else {}
    rows = list(csv.DictReader(Path(users_csv).read_text("utf-8-sig").splitlines()))
    made = []
    with engine.db.read() as session:
        existing = set(session.scalars(select(User.username)))
    for row in rows:
        name = row["username"].strip()
        exists = name in existing
        if not exists:
            known[name] = secrets.token_urlsafe(9)
            engine.create_user("system", name, known[name], row.get("display_name", ""),
                               [(row["organisation"].strip(), row["role"].strip())])
        made.append(DemoUser(name, row["organisation"].strip(), row["role"].strip(),
                             row.get("display_name", ""), known.get(name), not exists))
    passwords_file.parent.mkdir(parents=True, exist_ok=True)
    passwords_file.write_text(json.dumps(known, ensure_ascii=False, indent=2), "utf-8")
    passwords_file.chmod(0o600)
    return made
