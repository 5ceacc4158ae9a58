"""A rehearsal: a whole campaign on a fresh database, April to October, in minutes.

Simulated people (one per province, city, the Ministry office and the expert committee)
complete every task through the engine's public commands, with a ManualClock moved from
milestone to milestone and the real timers fired at each (engine.commands.timers). The seed picks
the troubles a real campaign has: some provinces late with their plan (escalated to the
Ministry), one plan returned for revision, one activity over the budget limit (approved by
its province), one activity whose material never comes (its deadline timer closes it).

A process owner runs it to try changed models before deploying them; tests run it small.
"""
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from engine.campaign import setup as campaign
from engine.people import organisations
from engine.people import identity
from engine.clock import ManualClock
from engine.config import ROOT, Settings
from engine.core import Engine
from engine.models.files import collect
from engine.storage import Case, CaseMessage, CaseTask, Organisation
from engine.storage.schema import upgrade

URGE_TASKS = ("Task_UrgePlan", "Task_UrgeSummary")


@dataclass
class Troubles:
    late: set
    returned: str
    over_budget: str = ""     # business key of the activity, chosen when activities exist
    missing_material: str = ""


@dataclass
class Report:
    provinces: int = 0
    activities: int = 0
    escalations: int = 0
    graded: int = 0
    seconds: float = 0.0
    stages: list = field(default_factory=list)

    @property
    def line(self) -> str:
        return (f"campaign complete: provinces={self.provinces} activities={self.activities} "
                f"escalations={self.escalations} graded={self.graded}")


class Rehearsal:
    def __init__(self, calendar, seed=0, provinces=None, database_url=None, echo=print,
                 processes_dir=None, organisations=None):
        self.calendar = campaign.load_calendar(calendar)
        self.random = random.Random(seed)
        self.echo = echo
        self.processes_dir = Path(processes_dir or ROOT / "processes")
        self.organisations = Path(organisations or self.processes_dir / "organisations.csv")
        self.codes = list(provinces or self.calendar["provinces"])
        self.dates = {k: datetime.fromisoformat(v) for k, v in self.calendar["dates"].items()}
        self._tmp = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="liandong-rehearsal-")
            database_url = f"sqlite:///{Path(self._tmp.name) / 'rehearsal.sqlite3'}"
        self.clock = ManualClock(self.dates["deployment"] - timedelta(days=1))
        settings = Settings(instance_path=Path(self._tmp.name if self._tmp else tempfile.gettempdir()),
                            database_url=database_url, processes_dir=self.processes_dir,
                            forms_dir=ROOT / "forms")
        self.engine = Engine(settings, self.clock)
        upgrade(self.engine.db)
        self.parent_of: dict[str, str] = {}
        self.report = Report()

    def close(self):
        self.engine.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- set-up ----------------------------------------------------------------------------

    def setup(self):
        with self.engine.db.transaction() as session:
            organisations.import_organisations(session, self.organisations)
            orgs = list(session.scalars(select(Organisation)))
            self.parent_of = {o.code: o.parent.code for o in orgs if o.parent is not None}
            self.kind_of = {o.code: o.kind for o in orgs}
            users = [("sim-ministry", self.calendar["ministry"], "ministry"),
                     ("sim-expert", self.calendar.get("expert_committee", "experts"), "expert")]
            for code in self.codes:
                users.append((f"sim-{code}", code, "province"))
                users += [(f"sim-{c}", c, "city") for c in self.cities(code)]
            for name, org, role in users:
                identity.create_user(session, name, None, name, [(org, role)])
        for model in collect([self.processes_dir]):
            self.engine.deploy(model.files)
        late_count = max(1, len(self.codes) // 6)
        shuffled = self.random.sample(self.codes, len(self.codes))
        self.troubles = Troubles(late=set(shuffled[:late_count]), returned=shuffled[-1])

    def cities(self, province):
        return sorted(c for c, p in self.parent_of.items() if p == province and self.kind_of.get(c) == "city")

    # -- driving ---------------------------------------------------------------------------

    def move_to(self, moment: datetime, label: str):
        moment += timedelta(seconds=1)  # SpiffWorkflow fires a timer only once its time has passed
        if moment > self.clock.now():
            self.clock.set(moment)
        fired = self.engine.fire_due_timers()
        self.engine.deliver_messages()
        self.echo(f"  {moment:%Y-%m-%d} {label}: {fired.fired} timer(s) fired")

    def open_tasks(self, element_ids=None):
        with self.engine.db.read() as session:
            query = select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id).where(CaseTask.state == "ready")
            if element_ids:
                query = query.where(CaseTask.element_id.in_(element_ids))
            return [(t.id, t.element_id, t.lane, c.organisation.code if c.organisation else None,
                     dict(c.facts or {}), c.business_key) for t, c in session.execute(query.order_by(CaseTask.created_at))]

    def person(self, lane, org):
        if lane == "ministry":
            return "sim-ministry"
        if lane == "expert":
            return "sim-expert"
        if lane == "province" and self.kind_of.get(org) == "city":
            return f"sim-{self.parent_of[org]}"
        return f"sim-{org}"

    def work(self, element_ids, data_for, when=lambda facts, key: True):
        """Complete every open task of these elements whose time has come; returns how many."""
        done = 0
        for task_id, element, lane, org, facts, key in self.open_tasks(element_ids):
            if not when(facts, key):
                continue
            self.engine.complete_task(task_id, self.person(lane, org), data_for(element, org, facts, key))
            done += 1
        return done

    def stage(self, name):
        self.report.stages.append(name)
        self.echo(f"[{len(self.report.stages)}] {name}")

    # -- the campaign ----------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.setup()
        self.stage("工作部署 Deployment")
        campaign.start_campaign(self.engine, self.calendar, "sim-ministry", self.codes)
        self.move_to(self.dates["deployment"], "deployment date")
        self.work(["Task_Deploy"], lambda *_: {"notice_title": self.calendar["title"],
                                               "notice": "请各地按照工作方案部署区域文化联动活动。",
                                               "participating": self.codes})
        self.work(["Task_DeployProvince"], lambda e, org, f, k: {
            "intra_provincial": f"{org} 部署省内联动", "contacted_cities": self.cities(org)})
        self.echo(f"  provincial cases started: {self.count('province')}")

        self.stage("制定方案 Planning")
        deadline = self.dates["plan_deadline"]
        self.clock.set(deadline - timedelta(days=8))
        self.work(["Task_SubmitPlan"], self.plan, lambda f, k: f.get("province") not in self.troubles.late)
        self.move_to(deadline - timedelta(days=self.calendar["plan_reminder_days_before"]) + timedelta(minutes=1),
                     "plan reminder")
        self.move_to(deadline + timedelta(minutes=1), "plan deadline")
        self.work(["Task_UrgePlan"], lambda *_: {"urge_note": "电话督促，要求两日内报送。"})
        self.clock.set(deadline + timedelta(days=2))
        self.work(["Task_SubmitPlan"], self.plan)
        self.review_plans()
        self.echo(f"  activity cases started: {self.count('activity')}")
        self.choose_activity_troubles()

        self.stage("组织实施 Implementation")
        self.work(["Task_Progress"], lambda e, org, f, k: {"progress": "活动项目已启动。", "publicity": []})
        self.move_to(self.dates["implementation_start"] + timedelta(minutes=1), "implementation starts")
        self.work(["Task_PlanActivity"], self.activity_plan)
        self.work(["Task_ApproveBudget"], lambda *_: {"budget_decision": "approve", "budget_comments": "同意，注意节约。"})
        self.work(["Task_ApproveExchanges"], self.approve_exchanges)
        self.work(["Task_Organise"], lambda e, org, f, k: {
            "held_on": self.clock.now().date().isoformat(), "venue": "承办城市图书馆", "participants": [],
            "listen_summary": "承办城市介绍经验。", "visit_summary": "现场考察。"})
        self.work(["Task_ExpertReview"], lambda *_: {"comments": "经验可复制推广。",
                                                     "score": self.random.randint(70, 98)})
        self.implement()
        self.move_to(self.dates["implementation_end"] + timedelta(minutes=1), "implementation ends")
        self.work(["Task_ReportProgress"], lambda *_: {"report": "各地区域文化联动活动全部完成。"})

        self.stage("评估总结 Evaluation")
        self.clock.set(self.dates["summary_deadline"] - timedelta(days=3))
        self.work(["Task_Summary"], lambda *_: {"summary": "本省区域文化联动工作总结。",
                                                "self_score": self.random.randint(70, 95)})
        self.move_to(self.dates["evaluation"] + timedelta(minutes=1), "evaluation")
        self.work(["Task_ExpertScore"], lambda *_: {"expert_score": self.random.randint(55, 98)})
        self.work(["Task_Confirm"], lambda *_: {"confirmed": True})
        self.work(["Task_Commend"], lambda e, org, f, k: {"statement": "对表现优秀的创建城市给予表扬。"})
        self.work(URGE_TASKS, lambda *_: {"urge_note": "已督促。"})
        self.report.seconds = time.monotonic() - started
        self.summarise()
        return self.report

    def plan(self, element, org, facts, key):
        province = facts.get("province", org)
        cities = self.cities(province) or [province]
        activities = []
        for number in range(self.random.randint(1, 3)):
            first = self.dates["implementation_start"].date() + timedelta(days=7)
            span = (self.dates["implementation_end"].date() - first).days - 30
            start = first + timedelta(days=self.random.randint(0, max(0, span)))
            form = self.random.choice(self.calendar["activity_forms"])["code"]
            activities.append({
                "name": f"{province} 联动活动 {number + 1}", "host_city": self.random.choice(cities),
                "form": form, "theme": self.random.choice(self.calendar["themes"])["code"],
                "partner_cities": [], "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=2)).isoformat(), "venue": "文化馆",
                "budget": self.random.randint(20, 90) * self.calendar["budget_limit"] // 100,
                "sponsorship": 0})
        host = self.random.random() < 0.25
        data = {"plan_summary": f"{province} 落实方案", "activities": activities, "host_exchange": host}
        if host:
            data.update(exchange_host_city=cities[0], exchange_theme=activities[0]["theme"],
                        exchange_summary="申报承办全国专题经验交流。")
        return data

    def review_plans(self):
        returned = False
        while True:
            tasks = self.open_tasks(["Task_ReviewPlan", "Task_RevisePlan"])
            if not tasks:
                return
            for task_id, element, lane, org, facts, key in tasks:
                if element == "Task_RevisePlan":
                    self.engine.complete_task(task_id, self.person(lane, org), {
                        "revision_note": "已按意见修改。", "plan_summary": "修改后的方案",
                        "activities": facts.get("activities") or self.plan(element, org, facts, key)["activities"]})
                    continue
                back = facts.get("province") == self.troubles.returned and not returned
                returned |= back
                self.engine.complete_task(task_id, "sim-ministry", {
                    "plan_decision": "return" if back else "approve",
                    "review_comments": "请细化跨省联动项目。" if back else "同意。"})

    def choose_activity_troubles(self):
        keys = sorted(k for *_, k in self.open_tasks(["Task_PlanActivity"]))
        if keys:
            picked = self.random.sample(keys, min(2, len(keys)))
            self.troubles.over_budget, self.troubles.missing_material = picked[0], picked[-1]

    def activity_plan(self, element, org, facts, key):
        fields = ("name", "form", "theme", "start_date", "end_date", "venue", "budget", "sponsorship")
        data = {k: facts[k] for k in fields if k in facts}
        data.setdefault("sponsorship", 0)
        data["partner_cities"] = []
        if key == self.troubles.over_budget:
            data["budget"] = self.calendar["budget_limit"] * 1.5
        if data.get("form") == "alliance":
            data["agreement"] = "区域公共文化建设联盟合作协议"
        return data

    def approve_exchanges(self, element, org, facts, key):
        """The Ministry approves every application the provinces sent."""
        with self.engine.db.read() as session:
            payloads = session.scalars(select(CaseMessage.payload).where(
                CaseMessage.name == "exchange_application").order_by(CaseMessage.id))
            approved = [{k: p[k] for k in ("province", "host_city", "theme", "summary")} for p in payloads]
        return {"approved": approved, "approval_note": "同意。"}

    def implement(self):
        """Week by week through the implementation period: prepare, hold, publicise, report."""
        moment = self.dates["implementation_start"]
        end = self.dates["implementation_end"]
        while moment + timedelta(days=7) < end:
            moment += timedelta(days=7)
            self.move_to(moment, "implementation week")
            today = moment.date().isoformat()
            self.work(["Task_Prepare"], lambda *_: {"staff_ready": True, "funds_ready": True, "materials_ready": True},
                      lambda f, k, today=today: f.get("start_date", "") <= today)
            self.work(["Task_Hold"], lambda e, o, f, k: {"held_on": f["start_date"], "participants": 300},
                      lambda f, k, today=today: f.get("end_date", "") <= today)
            self.work(["Task_Publicity"], lambda *_: {"reports": [
                {"medium": "newspaper", "title": "区域文化联动活动成功举办", "url": ""}]})
            self.work(["Task_SubmitMaterial"], lambda *_: {
                "summary": "活动总结", "programme_sheet": "programme.pdf", "photos": ["photo-1.jpg"],
                "video": "video.mp4"}, lambda f, k: k != self.troubles.missing_material)

    def count(self, process_key, status=None):
        with self.engine.db.read() as session:
            query = select(func.count()).select_from(Case).where(Case.process_key == process_key)
            if status:
                query = query.where(Case.status == status)
            return session.scalar(query)

    def summarise(self):
        with self.engine.db.read() as session:
            escalations = session.scalar(select(func.count()).select_from(CaseTask)
                                         .where(CaseTask.element_id.in_(URGE_TASKS)))
            statuses = dict(session.execute(select(Case.process_key, func.count())
                                            .where(Case.status == "completed").group_by(Case.process_key)).all())
            national = session.scalar(select(Case).where(Case.process_key == "campaign"))
            facts = dict(national.facts or {}) if national else {}
        self.report.provinces = self.count("province")
        self.report.activities = self.count("activity")
        self.report.escalations = escalations
        self.report.graded = self.count("evaluation", "completed")
        self.echo("summary by stage:")
        self.echo(f"  工作部署 Deployment: {self.report.provinces} provincial cases")
        self.echo(f"  制定方案 Planning: {len(self.troubles.late)} late plan(s), 1 returned for revision "
                  f"({self.troubles.returned}), {escalations} escalation(s) to the Ministry")
        self.echo(f"  组织实施 Implementation: {self.report.activities} activities "
                  f"({statuses.get('activity', 0)} completed), {statuses.get('exchange', 0)} national exchanges; "
                  f"over budget: {self.troubles.over_budget or '-'}, material missing: {self.troubles.missing_material or '-'}")
        self.echo(f"  评估总结 Evaluation: {self.report.graded} units graded, "
                  f"national case {national.status if national else 'missing'} (stage {facts.get('stage')}, "
                  f"{self.report.seconds:.1f} s)")
        self.echo(self.report.line)


def rehearse(calendar, seed=0, provinces=None, database_url=None, echo=print) -> Report:
    rehearsal = Rehearsal(calendar, seed, provinces, database_url, echo)
    try:
        return rehearsal.run()
    finally:
        rehearsal.close()
