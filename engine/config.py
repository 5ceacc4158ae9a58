"""Settings come from the environment, then an optional TOML file, then defaults.

`LIANDONG_CONFIG` names the file (default: `liandong.toml` in the instance folder); an
environment variable always wins over the file.
"""
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    instance_path: Path = ROOT / "instance"
    database_url: str = ""
    #: PostgreSQL: the tables' owner, used only to create and upgrade the schema (`init-db`);
    #: the app then runs as `database_url`'s role, which may only insert into and read the
    #: audit tables (engine.storage.schema). Empty: the app's role owns the tables.
    database_owner_url: str = ""
    processes_dir: Path = ROOT / "processes"
    forms_dir: Path = ROOT / "forms"
    time_zone: str = "Asia/Shanghai"
    script_time_limit: float = 2.0
    #: Script worker processes (engine/sandbox/pool.py); 0 runs scripts in-process (unsafe).
    script_workers: int = 2
    #: Memory one script may use in its worker, and characters it may print.
    script_memory_limit_mb: int = 256
    script_print_limit: int = 65_536
    #: A case's stored state, one value of task data (as JSON), one form submission.
    case_state_max_bytes: int = 1024 * 1024
    value_max_bytes: int = 256 * 1024
    submission_max_bytes: int = 512 * 1024
    #: Timer cycles: the shortest interval and most repetitions a model may ask for, and how
    #: many times one cycle may fire in one command (the rest fire at the next tick).
    timer_cycle_min_seconds: float = 60.0
    timer_cycle_max_count: int = 10_000
    timer_cycle_fires_per_command: int = 10
    #: Files attached to one case.
    uploads_per_case: int = 200
    tick_seconds: float = 1.0
    timer_retries: int = 3
    timer_backoff_seconds: float = 5.0
    #: A scheduler's claim on a timer older than this is taken as abandoned (node died).
    timer_lease_seconds: float = 60.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "liandong@localhost"
    secret_key: str = ""
    upload_max_bytes: int = 200 * 1024 * 1024
    #: How long a command called with a user name reuses that user's roles (0: never).
    actor_cache_seconds: float = 5.0
    #: SQLite's PRAGMA synchronous: FULL (default) survives a power loss with every
    #: acknowledged commit; NORMAL is faster but may lose the last commits (never corrupts).
    sqlite_synchronous: str = "FULL"
    #: How often a scheduler writes its heartbeat row.
    heartbeat_seconds: float = 5.0
    #: /metrics: on or off; with `metrics_port` set it is served on that port instead.
    metrics_enabled: bool = True
    metrics_port: int = 0
    #: Logs: "json" (one object a line) or "text"; and the level.
    log_format: str = "json"
    log_level: str = "INFO"
    #: Seconds a repeated error is counted instead of printed again.
    log_repeat_window_seconds: float = 60.0
    #: Retry-After, in seconds, of a 503 while the database is unreachable.
    retry_after_seconds: int = 5
    #: API tokens: how many days a new one lasts unless its maker says, and at most.
    api_token_days: int = 90
    api_token_max_days: int = 365
    #: What SpiffArena's get_env() answers in scripts, and the web app's address for
    #: get_frontend_url() and task links (e.g. https://liandong.example.cn).
    environment: str = "production"
    public_url: str = ""
    #: Service tasks' HTTP connector: the hosts it may call (exact names, or "*.example.cn"),
    #: its timeout per request in seconds, and the largest response body it reads.
    http_connector_hosts: tuple = ()
    http_connector_timeout: float = 10.0
    http_connector_max_bytes: int = 1024 * 1024
    #: A training instance: an admin may move the instance's clock forward (/admin/clock) to
    #: rehearse a campaign; every page shows the simulated date. Never on in production.
    training: bool = False
    #: The audit trail's HMAC and signing keys (engine.storage.audit_keys) and its signed
    #: checkpoints (engine.ops.checkpoints): folders outside the database, by default in
    #: the instance folder; a checkpoint is written every `audit_checkpoint_minutes` by the
    #: scheduler (0: only at backup and by `liandong audit-checkpoint`).
    audit_keys_dir: str = ""
    audit_checkpoints_dir: str = ""
    audit_checkpoint_minutes: float = 60.0
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.database_url:
            url = f"sqlite:///{Path(self.instance_path) / 'liandong.sqlite3'}"
            object.__setattr__(self, "database_url", url)

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        instance = Path(environ.get("LIANDONG_INSTANCE_PATH", ROOT / "instance"))
        values = {"instance_path": instance}
        config_file = Path(environ.get("LIANDONG_CONFIG", instance / "liandong.toml"))
        if config_file.is_file():
            values.update(tomllib.loads(config_file.read_text("utf-8")))
        known = {f.name: f for f in fields(cls)}
        for name, spec in known.items():
            raw = environ.get(f"LIANDONG_{name.upper()}")
            if raw is not None and name != "extra":
                values[name] = _coerce(spec.type, raw)
        for key in ("instance_path", "processes_dir", "forms_dir"):
            if key in values:
                values[key] = Path(values[key])
        if isinstance(values.get("http_connector_hosts"), list):
            values["http_connector_hosts"] = tuple(values["http_connector_hosts"])
        values.update(overrides)
        unknown = set(values) - set(known)
        extra = {k: values.pop(k) for k in unknown}
        return cls(**values, extra=extra)

    @property
    def audit_keys_path(self) -> Path:
        return Path(self.audit_keys_dir) if self.audit_keys_dir else Path(self.instance_path) / "audit-keys"

    @property
    def audit_checkpoints_path(self) -> Path:
        return (Path(self.audit_checkpoints_dir) if self.audit_checkpoints_dir
                else Path(self.instance_path) / "audit-checkpoints")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _coerce(kind, raw: str):
    text = str(kind)
    if "tuple" in text:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if "bool" in text:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "int" in text:
        return int(raw)
    if "float" in text:
        return float(raw)
    return raw
