"""SpiffArena's script helpers, for models written for SpiffArena.

SpiffArena offers scripts a set of functions (`get_current_user()`, `get_localtime(...)`,
...; its backend's `scripts/` folder) and the modules `time`, `datetime`, `timedelta`.
The same names mean the same here, with the same arguments and result shapes, as far as
this engine has the thing they talk about:

* each helper is a plain function of a `ScriptContext` (what the case, its task and the
  acting person are: plain data, plus a `directory` for the few look-ups that need the
  database) and the script's own arguments. Nothing is global: the case room builds the
  context for the running task (`engine.case.script_context`) and the sandbox hands each
  helper its task (`ScriptEngine(task_helpers=TASK_HELPERS)`);
* what this engine does not have (a secrets store, SpiffArena's permission tables, user
  properties, feature flags) raises `HelperUnavailable`, naming the helper, so the case
  stops with that message rather than a NameError.

Groups are roles here: a person's groups are the roles they hold, and a group's members
are the holders of that role on the case's branch of organisations (the people who may
work on a lane of that name).
"""
import base64
import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class HelperError(ValueError):
    """A helper was called wrongly or outside a case; the message says how."""


class HelperUnavailable(HelperError):
    """A SpiffArena helper this engine has no equivalent for."""


class Directory(Protocol):
    """The look-ups a helper may ask of the engine (the case room implements it)."""

    def user(self, username: str) -> dict | None: ...
    def group_members(self, group: str) -> list[str]: ...
    def last_completer(self, process_id: str, element_id: str) -> str | None: ...
    def task_id(self, element_id: str) -> tuple[str, bool] | None: ...
    def file(self, file_id: int, with_content: bool = False) -> dict | None: ...


@dataclass(frozen=True)
class ScriptContext:
    """What a SpiffArena helper may know about the script that calls it."""

    case_id: int | None
    process_key: str
    process_id: str
    environment: str
    frontend_url: str
    time_zone: str
    user: dict
    initiator: str
    directory: Any = None
    #: The running task: id, bpmn_identifier, bpmn_process_identifier, name, state, data.
    task: dict = field(default_factory=dict)


def user_dict(username, display_name="", email=None, groups=(), user_id=None) -> dict:
    """A person in the shape of SpiffArena's UserModel.as_dict (plus their groups)."""
    return {"id": user_id, "username": username, "email": email,
            "display_name": display_name or username, "service": "liandong",
            "service_id": username, "groups": sorted(set(groups))}


# -- helpers that read the context ----------------------------------------------------------

def get_env(ctx: ScriptContext) -> str:
    """The environment's name (setting `environment`: e.g. production, staging)."""
    return ctx.environment


def get_frontend_url(ctx: ScriptContext) -> str:
    """The web app's address (setting `public_url`), without a trailing slash."""
    return ctx.frontend_url.rstrip("/")


def get_current_user(ctx: ScriptContext) -> dict:
    return dict(ctx.user)


def get_groups_for_user(ctx: ScriptContext) -> list[dict]:
    return [{"identifier": group, "name": group} for group in ctx.user.get("groups", [])]


def get_process_initiator_user(ctx: ScriptContext) -> dict:
    found = ctx.directory.user(ctx.initiator) if ctx.directory is not None else None
    return found or user_dict(ctx.initiator)


def get_process_info(ctx: ScriptContext) -> dict:
    return {"process_instance_id": ctx.case_id, "process_model_identifier": ctx.process_key}


def get_toplevel_process_info(ctx: ScriptContext) -> dict:
    return get_process_info(ctx)


def get_current_task_info(ctx: ScriptContext) -> dict:
    """The running task without its data (SpiffArena: the serialized task minus `data`)."""
    return {key: value for key, value in ctx.task.items() if key != "data"}


def get_task_data_value(ctx: ScriptContext, variable_name, default_value=None):
    return ctx.task.get("data", {}).get(variable_name, default_value)


def get_data_sizes(ctx: ScriptContext) -> dict:
    """Sizes of the running task's data, in bytes of JSON (SpiffArena's shape; this engine
    keeps no separate Python environment, so its size is 0)."""
    data = ctx.task.get("data", {})
    size = len(json.dumps(data, default=str).encode())
    return {"python_env_size": 0, "python_env_keys": [], "task_data_size": size,
            "task_data_keys_by_task": {ctx.task.get("bpmn_identifier", ""): sorted(data)}}


def get_localtime(ctx: ScriptContext, datetime=None, timezone=None, **kwargs):  # noqa: A002
    """`datetime` (aware; naive means UTC) in `timezone` (an IANA name). SpiffArena's
    default zone is US/Eastern; here it is the engine's time zone (setting `time_zone`)."""
    value = datetime
    if value is None:
        raise HelperError("get_localtime(): you must include a datetime to convert")
    if not hasattr(value, "astimezone"):
        raise HelperError("get_localtime(): the first argument must be a datetime")
    zone_name = timezone or ctx.time_zone
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise HelperError(f"get_localtime(): unknown time zone '{zone_name}'") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(zone)


def get_group_members(ctx: ScriptContext, group_identifier) -> list[str]:
    members = ctx.directory.group_members(str(group_identifier))
    if not members:
        raise HelperError(f"get_group_members(): no group (role) '{group_identifier}' "
                          "has members on this case's organisations")
    return members


def get_last_user_completing_task(ctx: ScriptContext, bpmn_process_identifier=None,
                                  task_bpmn_identifier=None) -> dict:
    if not task_bpmn_identifier:
        raise HelperError("get_last_user_completing_task(bpmn_process_identifier, "
                          "task_bpmn_identifier): both are required")
    username = ctx.directory.last_completer(bpmn_process_identifier, task_bpmn_identifier)
    if username is None:
        raise HelperError(f"get_last_user_completing_task(): nobody has completed "
                          f"'{task_bpmn_identifier}' in this case yet")
    return ctx.directory.user(username) or user_dict(username)


def get_url_for_task_with_bpmn_identifier(ctx: ScriptContext, bpmn_identifier=None,
                                          public=True) -> str:
    """The address of the task page of the task `bpmn_identifier` of this case (SpiffArena
    adds /public for public forms; this engine has none, so `public` changes nothing)."""
    if not bpmn_identifier:
        raise HelperError("get_url_for_task_with_bpmn_identifier(): a bpmn identifier is required")
    found = ctx.directory.task_id(str(bpmn_identifier))
    if found is None:
        raise HelperError(f"get_url_for_task_with_bpmn_identifier(): no task "
                          f"'{bpmn_identifier}' in this case")
    task_id, manual = found
    if not manual:
        raise HelperError(f"get_url_for_task_with_bpmn_identifier(): '{bpmn_identifier}' "
                          "is not done by people, so it has no page")
    return f"{get_frontend_url(ctx)}/tasks/{task_id}"


def _md(value) -> str:
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\n", " ")


def generate_markdown_table(ctx: ScriptContext, columns=None, data=None) -> str:
    if columns is None or data is None:
        raise HelperError("generate_markdown_table(columns, data): both are required")
    headers = [col if isinstance(col, dict) else
               {"property": col, "label": str(col).replace("_", " ").capitalize()}
               for col in columns]
    lines = ["| " + " | ".join(_md(h.get("label", h.get("property", ""))) for h in headers) + " |",
             "| " + " | ".join(["----"] * len(headers)) + " |"]
    for item in data:
        lines.append("| " + " | ".join(_md(item.get(h.get("property"), "")) for h in headers) + " |")
    return "\n".join(lines) + "\n"


#: The largest file get_encoded_file_data() puts into task data (it lands in the case state).
MAX_ENCODED_BYTES = 1024 * 1024


def _file(ctx: ScriptContext, name: str, reference, with_content=False) -> dict:
    text = str(reference or "")
    number = text.removeprefix("file:")
    found = ctx.directory.file(int(number), with_content) \
        if text.startswith("file:") and number.isdigit() else None
    if found is None:
        raise HelperError(f"{name}(): '{text[:80]}' is not a file of this case "
                          "(a file field's value, \"file:<id>\")")
    return found


def markdown_file_download_link(ctx: ScriptContext, reference) -> str:
    """A Markdown link to a file of this case (SpiffArena: to the uploaded file's digest)."""
    found = _file(ctx, "markdown_file_download_link", reference)
    label = found["name"].replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({get_frontend_url(ctx)}/files/{found['id']})"


def get_encoded_file_data(ctx: ScriptContext, reference) -> str:
    """The file as a data URL: data:<type>;name=<name>;base64,<bytes> (SpiffArena's form)."""
    found = _file(ctx, "get_encoded_file_data", reference)
    if found["size"] > MAX_ENCODED_BYTES:
        raise HelperError(f"get_encoded_file_data(): the file is larger than {MAX_ENCODED_BYTES} "
                          "bytes; link to it instead (markdown_file_download_link)")
    content = _file(ctx, "get_encoded_file_data", reference, with_content=True)["content"]
    return (f"data:{found['content_type']};name={found['name']};base64,"
            f"{base64.b64encode(content).decode('ascii')}")


def _unavailable(name: str, why: str):
    def helper(ctx, *args, **kwargs):
        raise HelperUnavailable(f"{name}() is a SpiffArena helper this engine does not offer: {why}")
    helper.__name__ = name
    return helper


_NO_PERMISSIONS = "permissions here are roles in organisations, changed by administrators"
UNAVAILABLE = {
    "get_secret": "there is no secrets store; put the value in a setting or a connector",
    "set_secret": "there is no secrets store",
    "add_permission": _NO_PERMISSIONS, "refresh_permissions": _NO_PERMISSIONS,
    "clear_permissions": _NO_PERMISSIONS, "get_all_permissions": _NO_PERMISSIONS,
    "add_user_to_group": _NO_PERMISSIONS,
    "set_user_properties": "people have no free properties here",
    "get_user_properties": "people have no free properties here",
    "set_feature_flags": "there are no feature flags",
    "delete_process_instances_with_criteria": "cases are cancelled by people, not by scripts",
    "save_process_instance_metadata": "a case's key facts are its `stage` and form data",
}

HELPERS = {fn.__name__: fn for fn in (
    get_env, get_frontend_url, get_current_user, get_groups_for_user,
    get_process_initiator_user, get_process_info, get_toplevel_process_info,
    get_current_task_info, get_task_data_value, get_data_sizes, get_localtime,
    get_group_members, get_last_user_completing_task, get_url_for_task_with_bpmn_identifier,
    generate_markdown_table, markdown_file_download_link, get_encoded_file_data)}
HELPERS.update({name: _unavailable(name, why) for name, why in UNAVAILABLE.items()})


# -- the sandbox's side ----------------------------------------------------------------------

#: Set on a running case's top workflow by the case room: called with the task whose script
#: runs, it returns that script's ScriptContext.
CONTEXT_ATTRIBUTE = "liandong_script_context"


def context_of(task, name: str) -> ScriptContext:
    maker = getattr(task.workflow.top_workflow, CONTEXT_ATTRIBUTE, None) if task is not None else None
    if maker is None:
        raise HelperError(f"{name}() works only inside a running case's script")
    return maker(task)


def _for_task(name, fn):
    def helper(task, *args, **kwargs):
        return fn(context_of(task, name), *args, **kwargs)
    helper.__name__ = name
    return helper


#: For ScriptEngine(task_helpers=...): each called with the running task first.
TASK_HELPERS = {name: _for_task(name, fn) for name, fn in HELPERS.items()}


def namespaces(clock, namespace=None) -> dict:
    """`time` and `uuid` as SpiffArena scripts use them (`time.time()`, `uuid.uuid4()`),
    reading the engine's clock, for ScriptEngine(helpers=...). `namespace` builds the
    module-like object (the sandbox's Namespace, which never lands in task data)."""
    from types import SimpleNamespace
    make = namespace or SimpleNamespace

    def now_seconds():
        return clock().timestamp()

    def strftime(fmt, t=None):
        moment = clock() if t is None else datetime.fromtimestamp(t, ZoneInfo("UTC"))
        return moment.strftime(str(fmt)[:200])
    return {"time": make(time=now_seconds, time_ns=lambda: int(now_seconds() * 1e9),
                         strftime=strftime),
            "uuid": make(uuid4=lambda: str(uuid.uuid4()))}


#: Names scripts see besides task data (for the deploy-time lint).
NAMES = frozenset(HELPERS) | {"time", "uuid"}
