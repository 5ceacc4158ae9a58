"""The campaign dashboard and the heatmap of a process version.

Nothing about a campaign is written here: a dashboard definition (JSON, e.g.
`processes/dashboard.json`) names the campaign's process keys, its stages in order, and
which case facts make each column; provinces are whatever organisations the campaign's
province cases belong to. The figures come from the query tables only: case rows and their
facts, open task rows, the `case_stages` summary rows, and (for the heatmap) audit events.
"""
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engine.errors import InvalidData, NotFound
from engine.reading.history import element_counts
from engine.reading.inbox import visible_case_clause
from engine.storage import Case, CaseStage, CaseTask, Organisation, ProcessVersion


@dataclass(frozen=True)
class Definition:
    row_process: str  # one case per row (a province's case)
    campaign_process: str | None = None  # the rows' parent case, if the campaign has one
    activity_process: str | None = None  # children of a row case, counted by `activity_groups`
    stages: tuple = ()  # ({"id", "zh_CN", "en"}, ...) in order
    columns: tuple = ()  # ({"id", "fact", "type": text|bool|on_time|related, labels}, ...)
    activity_groups: tuple = ()  # fact names, e.g. ("form", "theme")
    activity_columns: tuple = ()  # ({"id", "fact", labels}: count of activities where fact is true)
    labels: dict = field(default_factory=dict)  # fact value -> {"zh_CN", "en"}

    @classmethod
    def load(cls, path) -> "Definition":
        try:
            raw = json.loads(Path(path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise InvalidData(f"Dashboard definition {path} cannot be read: {err}") from None
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> "Definition":
        if not isinstance(raw, dict) or not raw.get("row_process"):
            raise InvalidData("A dashboard definition needs at least 'row_process'.")
        return cls(raw["row_process"], raw.get("campaign_process"), raw.get("activity_process"),
                   tuple(raw.get("stages", ())), tuple(raw.get("columns", ())),
                   tuple(raw.get("activity_groups", ())), tuple(raw.get("activity_columns", ())),
                   dict(raw.get("labels", {})))

    def label(self, value, lang: str) -> str:
        """A fact value as people read it (e.g. "lecture" -> 讲座), from `labels`."""
        names = self.labels.get(str(value)) or {}
        return str(names.get(lang) or names.get("en") or value)

    def with_labels(self, labels: dict) -> "Definition":
        return replace(self, labels={**labels, **self.labels})

    def stage_index(self, stage) -> int:
        for index, spec in enumerate(self.stages):
            if spec.get("id") == stage:
                return index
        return -1


@dataclass
class Row:
    case_id: int
    organisation: str
    organisation_name: str
    status: str
    stage: str | None
    stage_index: int
    stages_reached: list  # [(stage, reached_at)]
    overdue: int
    values: dict  # column id -> value ("on_time" / "late" / "pending" for on_time columns)
    activities: int
    activity_groups: dict  # group fact -> Counter(value -> n)
    activity_values: dict  # activity column id -> n
    ended_at: object = None


@dataclass
class Dashboard:
    definition: Definition
    campaign: Case | None
    rows: list
    now: object = None

    def group_values(self, fact: str) -> list:
        values = Counter()
        for row in self.rows:
            values.update(row.activity_groups.get(fact, {}))
        return [value for value, _n in values.most_common()]


def campaign_dashboard(session, actor, definition: Definition, now, campaign_id=None) -> Dashboard:
    """One row per visible case of the definition's row process (within one campaign).

    Activities are counted in SQL (grouped by their parent case and a fact), so the cost
    depends on the number of provinces, not on how many activities they held."""
    campaign = None
    rows_query = (select(Case).options(joinedload(Case.organisation))
                  .where(Case.process_key == definition.row_process, visible_case_clause(actor)))
    if definition.campaign_process:
        campaign_query = select(Case).where(Case.process_key == definition.campaign_process,
                                            visible_case_clause(actor))
        if campaign_id is not None:
            campaign = session.scalar(campaign_query.where(Case.id == campaign_id))
            if campaign is None:
                raise NotFound(f"Campaign case {campaign_id} does not exist.")
        else:
            campaign = session.scalar(campaign_query.order_by(Case.started_at.desc(), Case.id.desc()).limit(1))
        if campaign is not None:
            rows_query = rows_query.where(Case.parent_case_id == campaign.id)
    cases = session.scalars(rows_query.order_by(Case.org_path, Case.id)).all()
    ids = [c.id for c in cases]
    stages = _stages_reached(session, ids)
    activities = _Activities(session, actor, definition, ids)
    overdue = _overdue(session, ids, activities.query, now)
    related = _related(session, actor, definition, campaign)
    rows = [_row(definition, case, stages.get(case.id, []), overdue.get(case.id, 0), activities, related)
            for case in cases]
    return Dashboard(definition, campaign, rows, now)


def _stages_reached(session, case_ids) -> dict:
    out = defaultdict(list)
    if case_ids:
        for case_id, stage, at in session.execute(
                select(CaseStage.case_id, CaseStage.stage, CaseStage.reached_at)
                .where(CaseStage.case_id.in_(case_ids)).order_by(CaseStage.reached_at, CaseStage.id)):
            out[case_id].append((stage, at))
    return out


class _Activities:
    """Per row case: how many visible activities, by each grouping fact, and how many have
    each yes/no fact set. One grouped query: a row per (parent, group values, flags)."""

    def __init__(self, session, actor, definition, parent_ids):
        self.total, self.groups, self.flags = Counter(), defaultdict(dict), defaultdict(dict)
        self.query = None
        if not definition.activity_process or not parent_ids:
            return
        self.query = select(Case.parent_case_id).where(
            Case.parent_case_id.in_(parent_ids), Case.process_key == definition.activity_process,
            visible_case_clause(actor))
        groups = [Case.facts[fact].as_string() for fact in definition.activity_groups]
        flags = [sql_case((Case.facts[c["fact"]].as_boolean().is_(True), 1), else_=0)
                 for c in definition.activity_columns]
        keys = [Case.parent_case_id, *groups, *flags]
        for parent, *values, n in session.execute(self.query.with_only_columns(*keys, func.count())
                                                  .group_by(*keys)):
            self.total[parent] += n
            for fact, value in zip(definition.activity_groups, values[:len(groups)], strict=True):
                if value is not None:
                    self.groups[parent].setdefault(fact, Counter())[value] += n
            for column, flag in zip(definition.activity_columns, values[len(groups):], strict=True):
                if flag:
                    self.flags[parent][column["id"]] = self.flags[parent].get(column["id"], 0) + n


def _overdue(session, row_ids, activities, now) -> dict:
    """Open tasks past due per row case: its own and its activities'."""
    counts = Counter()
    if not row_ids:
        return counts
    late = (CaseTask.state == "ready", CaseTask.due_at < now)
    for case_id, n in session.execute(select(CaseTask.case_id, func.count()).where(
            CaseTask.case_id.in_(row_ids), *late).group_by(CaseTask.case_id)):
        counts[case_id] += n
    if activities is not None:
        children = activities.add_columns(Case.id).subquery()
        for parent, n in session.execute(
                select(children.c.parent_case_id, func.count())
                .join(CaseTask, CaseTask.case_id == children.c.id).where(*late)
                .group_by(children.c.parent_case_id)):
            counts[parent] += n
    return counts


def _related(session, actor, definition, campaign) -> dict:
    """For "related" columns: {column id: {organisation code: fact}} read from other cases of
    the campaign (e.g. the evaluation case whose `unit` is the province)."""
    out = {}
    for column in definition.columns:
        if column.get("type") != "related":
            continue
        query = select(Case.facts).where(Case.process_key == column["process"], visible_case_clause(actor))
        if campaign is not None:
            query = query.where(Case.parent_case_id == campaign.id)
        values = {}
        for facts in session.scalars(query.order_by(Case.id)):
            facts = facts or {}
            if facts.get(column["key_fact"]) is not None:
                values[str(facts[column["key_fact"]])] = facts.get(column["fact"])
        out[column["id"]] = values
    return out


def _row(definition, case, reached, overdue, activities, related) -> Row:
    facts = case.facts or {}
    org = case.organisation
    values = {column["id"]: related[column["id"]].get(org.code if org else None)
              if column["id"] in related else _column_value(column, facts)
              for column in definition.columns}
    groups = {fact: activities.groups[case.id].get(fact, Counter()) for fact in definition.activity_groups}
    flags = {c["id"]: activities.flags[case.id].get(c["id"], 0) for c in definition.activity_columns}
    return Row(case.id, org.code if org else "", (org.name if org else "") or case.title, case.status,
               case.stage, definition.stage_index(case.stage), reached, overdue, values,
               activities.total[case.id], groups, flags, case.ended_at)


def _column_value(column: dict, facts: dict):
    kind = column.get("type", "text")
    if kind == "on_time":
        done, due = facts.get(column.get("done_fact")), facts.get(column.get("due_fact"))
        if column.get("fact") and isinstance(facts.get(column["fact"]), bool):
            return "on_time" if facts[column["fact"]] else "late"
        if not done:
            return "pending"
        return "on_time" if not due or str(done) <= str(due) else "late"
    value = facts.get(column.get("fact"))
    if kind == "bool":
        return None if value is None else bool(value)
    return value


def calendar_labels(folder) -> dict:
    """Labels of coded values from the campaign calendars in `folder` (calendar-*.json):
    every list entry shaped {"code", "zh", "en"} (activity forms, themes, ...)."""
    labels = {}
    for path in sorted(Path(folder).glob("calendar-*.json")):
        try:
            calendar = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        for value in calendar.values() if isinstance(calendar, dict) else ():
            for item in value if isinstance(value, list) else ():
                if isinstance(item, dict) and "code" in item:
                    labels[str(item["code"])] = {"zh_CN": item.get("zh"), "en": item.get("en")}
    return labels


# -- heatmap ----------------------------------------------------------------------------------

@dataclass
class Heatmap:
    version: ProcessVersion
    cases: int
    counts: dict  # element id -> cases that passed it
    median_seconds: dict  # user task element id -> median seconds from open to done
    task_counts: dict  # user task element id -> tasks completed

    @property
    def max_count(self) -> int:
        return max(self.counts.values(), default=0)


def heatmap(session, actor, process_version_id: int) -> Heatmap:
    version = session.get(ProcessVersion, process_version_id)
    if version is None:
        raise NotFound(f"Process version {process_version_id} does not exist.")
    case_ids = select(Case.id).where(Case.process_version_id == version.id, visible_case_clause(actor))
    cases = session.scalar(select(func.count()).select_from(case_ids.subquery()))
    done = (CaseTask.case_id.in_(case_ids), CaseTask.state == "completed",
            CaseTask.completed_at.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", CaseTask.completed_at - CaseTask.created_at)
        rows = session.execute(select(CaseTask.element_id, func.percentile_cont(0.5).within_group(seconds),
                                      func.count()).where(*done).group_by(CaseTask.element_id)).all()
        medians = {e: float(m) for e, m, _n in rows}
        counts = {e: n for e, _m, n in rows}
    else:  # SQLite has no median: the durations come back and are taken here
        durations = defaultdict(list)
        for element, opened, closed in session.execute(
                select(CaseTask.element_id, CaseTask.created_at, CaseTask.completed_at).where(*done)):
            durations[element].append((closed - opened).total_seconds())
        medians = {e: statistics.median(v) for e, v in durations.items()}
        counts = {e: len(v) for e, v in durations.items()}
    return Heatmap(version, cases, dict(element_counts(session, version.id, actor)), medians, counts)


def organisation_names(session, codes) -> dict:
    return dict(session.execute(select(Organisation.code, Organisation.name)
                                .where(Organisation.code.in_(set(codes)))).all())
