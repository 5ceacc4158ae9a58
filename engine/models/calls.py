"""Process and decision ids across models, as SpiffArena resolves them.

A call activity may call a process, and a business rule task a decision, that another
deployed model defines. At deploy the latest version of the model that supplies each such
id is found and recorded with the new version (`ProcessVersion.calls`), together with what
that version itself calls. A new case runs the latest version of each supplier at its
start (`callees_at_start`), recorded on the case (`Case.callees`) when it differs from the
version's pins, so a later redeploy of a callee changes no running case. Commands on a
running case look nothing up: its spec is parsed once per version and set of callees
(engine.models.specs).
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.models.bpmn.parsing import model_files
from engine.models.bpmn.problems import Problem
from engine.models.bpmn.xml import BPMN_NS, NSMAP, parse_xml
from engine.errors import ModelError
from engine.storage import ProcessFile, ProcessModel, ProcessVersion

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _roots(files: dict):
    for name in sorted(model_files(files)):
        try:
            yield name, parse_xml(files[name], name)
        except ModelError:
            continue  # the checks report an unreadable file


def provided_ids(files: dict) -> list[str]:
    """The process ids and decision ids the files define."""
    return sorted(provided_where(files))


def provided_where(files: dict) -> dict[str, tuple[str, int | None]]:
    """id -> (file, line) of each process and decision the files define."""
    found = {}
    for name, root in _roots(files):
        for process in root.xpath("./bpmn:process[@id]", namespaces=NSMAP):
            found.setdefault(process.get("id"), (name, process.sourceline))
        if root.tag.endswith("}definitions") and not root.tag.startswith(f"{{{BPMN_NS}}}"):
            for el in root.iter():
                if isinstance(el.tag, str) and el.tag.endswith("}decision") and el.get("id"):
                    found.setdefault(el.get("id"), (name, el.sourceline))
    return found


def called_ids(files: dict) -> list[str]:
    """The processes its call activities call and the decisions its business rule tasks do."""
    found = set()
    for _, root in _roots(files):
        found.update(root.xpath("//bpmn:callActivity/@calledElement", namespaces=NSMAP))
        found.update((el.text or "").strip() for el in root.iter(f"{{{SPIFF_NS}}}calledDecisionId"))
    return sorted(found - {""})


@dataclass
class Resolution:
    #: id -> the version id supplying it (this model's callees and theirs, transitively).
    calls: dict = field(default_factory=dict)
    #: id -> (model key, version number), for saying which model supplies what.
    suppliers: dict = field(default_factory=dict)
    #: The suppliers' diagram files, named "key@vN/file", to parse with the model.
    extra: dict = field(default_factory=dict)
    #: id -> (model key, version number, file, line): another model's latest version
    #: defines an id this model defines too (at file:line); deployed, this one is what
    #: callers run from then on.
    shadows: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"calls {callee!r} from model {key} v{number}"
                for callee, (key, number) in sorted(self.suppliers.items())]

    def problems(self) -> list[Problem]:
        """Warnings for the ids another model defines too: SpiffArena resolves an id to the
        model deployed last, so deploying this one changes what those callers run."""
        return [Problem(file, line, callee, "warning", "id-defined-elsewhere",
                        f"'{callee}' is also defined by model {key} v{number}; models that call "
                        f"it run the one deployed last")
                for callee, (key, number, file, line) in sorted(self.shadows.items())]


def _latest_suppliers(session, exclude_key: str) -> dict[str, tuple]:
    """id -> (version id, key, number, calls) of the latest version of each other model
    providing it; where several models provide one, the most recently deployed wins."""
    latest = {}
    rows = session.execute(select(ProcessVersion.id, ProcessModel.key, ProcessVersion.version,
                                  ProcessVersion.provides, ProcessVersion.calls, ProcessVersion.deployed_at)
                           .join(ProcessModel, ProcessModel.id == ProcessVersion.process_model_id)
                           .where(ProcessModel.key != exclude_key))
    for row in rows:
        if row.key not in latest or latest[row.key].version < row.version:
            latest[row.key] = row
    found = {}
    for row in sorted(latest.values(), key=lambda r: (r.deployed_at, r.id)):
        for provided in row.provides or ():
            found[provided] = (row.id, row.key, row.version, row.calls or {})
    return found


def resolve(session, files: dict, key: str) -> Resolution:
    """What the model's files call that they do not define, from the other models, and
    which of the ids it defines other models define too."""
    where = provided_where(files)
    provided = set(where)
    wanted = [callee for callee in called_ids(files) if callee not in provided]
    result = Resolution()
    if not wanted and not provided:
        return result
    suppliers = _latest_suppliers(session, key)
    # Without a key the model is deployed under its primary process id: one of its own ids.
    own = {key} if key else provided
    result.shadows = {callee: suppliers[callee][1:3] + where[callee] for callee in provided
                      if callee in suppliers and suppliers[callee][1] not in own}
    for callee in wanted:
        if callee in suppliers:
            version_id, supplier_key, number, their_calls = suppliers[callee]
            result.calls[callee] = version_id
            result.suppliers[callee] = (supplier_key, number)
            for inner, inner_version in their_calls.items():  # what the callee calls, as pinned
                result.calls.setdefault(inner, inner_version)
    result.extra = supplier_files(session, result.calls)
    return result


def callees_at_start(session, version_id: int) -> dict | None:
    """What a new case of version `version_id` runs for the ids it calls from other models:
    the latest version of each supplier now (and what those call, likewise), or None when
    that is what the version pinned at deploy (the usual case: nothing to record)."""
    row = session.execute(select(ProcessVersion.calls, ProcessModel.key)
                          .join(ProcessModel, ProcessModel.id == ProcessVersion.process_model_id)
                          .where(ProcessVersion.id == version_id)).first()
    pinned = (row.calls if row else None) or {}
    if not pinned:
        return None
    latest = _latest_suppliers(session, row.key)
    found, queue = {}, sorted(pinned)
    while queue:
        callee = queue.pop(0)
        if callee in found:
            continue
        if callee in latest:
            found[callee] = latest[callee][0]
            queue.extend(sorted(latest[callee][3]))
        elif callee in pinned:
            found[callee] = pinned[callee]
    return None if found == pinned else found


def supplier_files(session, calls: dict) -> dict[str, bytes]:
    """The diagram files of the versions `calls` names, each file once."""
    version_ids = sorted(set(calls.values()))
    if not version_ids:
        return {}
    rows = session.execute(select(ProcessModel.key, ProcessVersion.version, ProcessFile.name,
                                  ProcessFile.content)
                           .join(ProcessVersion, ProcessVersion.id == ProcessFile.process_version_id)
                           .join(ProcessModel, ProcessModel.id == ProcessVersion.process_model_id)
                           .where(ProcessFile.process_version_id.in_(version_ids)))
    return model_files({f"{key}@v{number}/{name}": content for key, number, name, content in rows})


def in_dependency_order(models: list) -> list:
    """`models` (engine.models.files.ModelFiles) ordered so that a model comes after the
    models supplying what it calls; a cycle keeps the models' own order."""
    provides = {}
    for index, model in enumerate(models):
        for provided in provided_ids(model.files):
            provides.setdefault(provided, index)
    needs = {index: {provides[c] for c in called_ids(model.files) if provides.get(c, index) != index}
             for index, model in enumerate(models)}
    ordered, placed = [], set()
    while len(placed) < len(models):
        ready = [i for i in range(len(models)) if i not in placed and needs[i] <= placed]
        if not ready:  # a cycle: take the first left
            ready = [min(set(range(len(models))) - placed)]
        for index in ready:
            placed.add(index)
            ordered.append(models[index])
    return ordered
