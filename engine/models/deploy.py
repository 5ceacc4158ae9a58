"""Deploying BPMN/DMN files as a new version of a process model.

A version is made only for a different model, not for different bytes: files that run and
draw the same as the latest version (engine.models.canonical) deploy nothing, so opening a
model in the modeler and saving it unchanged leaves its version as it was."""
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.models.bpmn.parsing import model_files, parse_model
from engine.models.calls import Resolution, provided_ids, resolve
from engine.models.canonical import SAME, Fingerprint, fingerprint, remembered
from engine.errors import ModelError, NotFound
from engine.storage import ProcessFile, ProcessModel, ProcessVersion
from engine.storage.processes import ID_LENGTH

KEY_MAX = ID_LENGTH


@dataclass
class Deployment:
    version: ProcessVersion
    created: bool
    warnings: list = field(default_factory=list)
    #: How the version differs from the one before it: "first", "process" (what runs
    #: changed) or "layout" (only the diagram did); "same" when nothing was deployed.
    change: str = "first"
    #: What it calls from other models (engine.models.calls).
    resolution: Resolution = field(default_factory=Resolution)


def checksum(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def deploy(session: Session, files: dict[str, bytes], actor, key: str | None = None,
           name: str | None = None, check=None, *, primary: str | None = None,
           strict: bool = False, description: str | None = None,
           category: str | None = None) -> Deployment:
    """Store `files` (diagrams and forms) as the next version of `key` (default: the
    primary process id, or `primary`).

    `check(files, resolution)` returns lint problems; errors refuse the deployment,
    warnings are kept on the result. What the model calls from other models is resolved
    first (engine.models.calls). A model the same as the latest version's (the same bytes,
    or the same process, diagram and forms written differently) makes no new version.
    """
    if not model_files(files):
        raise ModelError("Nothing to deploy: no BPMN or DMN files were given.")
    resolution = resolve(session, files, key or primary or "")
    problems = (list(check(files, resolution)) if check else []) + resolution.problems()
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ModelError(f"The model has {len(errors)} error(s); first: {errors[0]}", errors)
    model = parse_model(files, primary, extra=resolution.extra, strict=strict)
    key = key or model.primary_process_id
    name = name or model.process_names.get(model.primary_process_id)
    if not key or len(key) > KEY_MAX:
        raise ModelError(f"Process key '{key}' must be 1-{KEY_MAX} characters.")
    digest = checksum(files)
    process = session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if process is None:
        process = ProcessModel(key=key, name=name or key, description=description or "",
                               category=category)
        session.add(process)
        session.flush()
    else:
        if description is not None:
            process.description = description
        if category is not None:
            process.category = category
    latest = latest_version(session, key, required=False)
    change = "first"
    if latest is not None:
        change = SAME if latest.checksum == digest and (latest.calls or {}) == resolution.calls \
            else stored_fingerprint(session, latest).relation(
                remembered((digest, model.primary_process_id), lambda: fingerprint(files, parsed=model)))
        if change == SAME and (latest.calls or {}) != resolution.calls:
            change = "process"  # the same files, calling newer versions of other models
        if change == SAME:
            return Deployment(latest, False, problems, SAME, resolution)
    number = (session.scalar(select(func.max(ProcessVersion.version))
                             .where(ProcessVersion.process_model_id == process.id)) or 0) + 1
    version = ProcessVersion(model=process, version=number, checksum=digest,
                             primary_process_id=model.primary_process_id,
                             name=name or key, deployed_by=actor.username,
                             provides=provided_ids(files), calls=resolution.calls)
    session.add(version)
    session.flush()
    for file_name, content in sorted(files.items()):
        session.add(ProcessFile(process_version_id=version.id, name=file_name, content=content,
                                sha256=hashlib.sha256(content).hexdigest()))
    session.flush()
    return Deployment(version, True, problems, change, resolution)


def stored_fingerprint(session: Session, version: ProcessVersion) -> Fingerprint:
    """What a deployed version runs and draws; worked out once per content (versions never
    change, and their checksum names their content)."""
    def compute():
        files = {f.name: f.content for f in session.scalars(
            select(ProcessFile).where(ProcessFile.process_version_id == version.id))}
        from engine.models.calls import supplier_files
        return fingerprint(files, version.primary_process_id,
                           extra=supplier_files(session, version.calls or {}))
    return remembered((version.checksum, version.primary_process_id), compute)


def latest_version(session: Session, key: str, required: bool = True) -> ProcessVersion | None:
    version = session.scalar(
        select(ProcessVersion).join(ProcessModel).where(ProcessModel.key == key)
        .order_by(ProcessVersion.version.desc()).limit(1))
    if version is None and required:
        raise NotFound(f"No process '{key}' is deployed.")
    return version


def find_version(session: Session, key: str, number: int | None) -> ProcessVersion:
    if number is None:
        return latest_version(session, key)
    version = session.scalar(select(ProcessVersion).join(ProcessModel)
                             .where(ProcessModel.key == key, ProcessVersion.version == number))
    if version is None:
        raise NotFound(f"Process '{key}' has no version {number}.")
    return version


@dataclass(frozen=True)
class VersionRef:
    """What starting a case needs of a version, read in one Core query."""

    id: int
    key: str
    version: int
    name: str
    #: On PostgreSQL, the id the new case will have, drawn from its sequence in the same
    #: query, so the case can be inserted with everything else at the command's end.
    case_id: int | None = None


def _versions(*extra):
    return select(ProcessVersion.id, ProcessModel.key, ProcessVersion.version,
                  ProcessVersion.name, *extra) \
        .join(ProcessModel, ProcessModel.id == ProcessVersion.process_model_id) \
        .where(ProcessModel.key == bindparam("key"))


def _latest(*extra):
    return _versions(*extra).order_by(ProcessVersion.version.desc()).limit(1)


def _numbered(*extra):
    return _versions(*extra).where(ProcessVersion.version == bindparam("number"))


_NEXT_CASE_ID = select(func.nextval(func.pg_get_serial_sequence("cases", "id"))) \
    .scalar_subquery().label("case_id")
_QUERIES = {(False, False): _latest(), (False, True): _numbered(),
            (True, False): _latest(_NEXT_CASE_ID), (True, True): _numbered(_NEXT_CASE_ID)}


def version_to_start(session: Session, key: str, number: int | None,
                     reserve_case_id: bool = False) -> VersionRef:
    """The version a new case of `key` runs: the latest, or version `number`; with
    `reserve_case_id`, on PostgreSQL, the id of that case too."""
    reserve = reserve_case_id and session.get_bind().dialect.name == "postgresql"
    row = session.connection().execute(_QUERIES[reserve, number is not None],
                                       {"key": key, "number": number}).first()
    if row is None:
        raise NotFound(f"No process '{key}' is deployed." if number is None
                       else f"Process '{key}' has no version {number}.")
    return VersionRef(row.id, row.key, row.version, row.name, row.case_id if reserve else None)
