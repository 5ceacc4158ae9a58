"""gunicorn settings for Liandong's web app: `gunicorn --config deploy/gunicorn.conf.py`.

Environment: LIANDONG_BIND (default 127.0.0.1:8000: put a proxy in front), WEB_CONCURRENCY
(workers, read by gunicorn itself), LIANDONG_THREADS, and every LIANDONG_* setting of the
app. Metrics: prometheus-client's multiprocess mode, so /metrics of any worker reports all
workers of this host; PROMETHEUS_MULTIPROC_DIR is made here when not set (systemd's
RuntimeDirectory is the better home), and emptied at start.
"""
import os
import tempfile
from pathlib import Path

wsgi_app = "web:create_app()"
bind = os.environ.get("LIANDONG_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("LIANDONG_THREADS", "4"))
timeout = 60            # a worker silent this long is killed and replaced
graceful_timeout = 30   # on SIGTERM, requests in flight get this long to finish
keepalive = 5
max_requests = 5000     # recycle workers now and then (bounded memory)
max_requests_jitter = 500
accesslog = None        # the app logs in JSON; request latency is in /metrics
errorlog = "-"
#: gunicorn's own lines (workers booting, timeouts) in the app's JSON format too.
logconfig_dict = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "%(levelname)s %(name)s %(message)s", "timestamp": "time",
                            "rename_fields": {"levelname": "level", "name": "logger",
                                              "exc_info": "traceback"}}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
    "root": {"level": "INFO", "handlers": []},  # the app adds its own (engine.ops.logs)
}
forwarded_allow_ips = os.environ.get("LIANDONG_FORWARDED_ALLOW_IPS", "127.0.0.1")

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="liandong-metrics-")
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def on_starting(server):
    """Empty the metrics folder: files of a previous run would be counted again."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def when_ready(server):
    """With LIANDONG_METRICS_PORT set, serve /metrics from the master on that port only."""
    from engine import Engine, Settings
    settings = Settings.from_env()
    if settings.metrics_enabled and settings.metrics_port:
        from engine.ops import metrics
        host = os.environ.get("LIANDONG_METRICS_HOST", "127.0.0.1")
        metrics.serve(Engine(settings), settings.metrics_port, host)
        server.log.info("metrics on http://%s:%s/metrics", host, settings.metrics_port)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
