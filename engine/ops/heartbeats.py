"""Scheduler heartbeats: each scheduler node writes its row every `heartbeat_seconds`, so
a dead or cut-off scheduler shows in `liandong status` and /metrics, not as late timers."""
import logging
import os
import socket
import time
from datetime import timedelta

from sqlalchemy import delete, select, update

from engine.storage import SchedulerHeartbeat

log = logging.getLogger("engine.scheduler")

#: Rows of nodes silent for longer than this are removed (a restarted node has a new id).
PRUNE_AFTER = timedelta(hours=1)


class Heartbeat:
    """Called from every tick; writes at most once per `heartbeat_seconds` and logs, at
    info, how many timers the node fired since its previous beat."""

    def __init__(self, engine, node_id: str):
        self.engine, self.node_id = engine, node_id
        self.started_at = engine.now()
        self._last = None
        self._fired_at_last = 0

    def __call__(self, fired: int) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.engine.settings.heartbeat_seconds:
            return
        beat(self.engine, self.node_id, fired, self.started_at)
        if fired > self._fired_at_last:
            log.info("scheduler %s fired %d timer(s) since its last heartbeat (%d in all)",
                     self.node_id, fired - self._fired_at_last, fired,
                     extra={"node": self.node_id, "fired": fired - self._fired_at_last})
        self._last, self._fired_at_last = now, fired


def beat(engine, node_id: str, fired: int, started_at=None) -> None:
    """Write (or create) this node's row, and drop rows of nodes long gone."""
    now = engine.now()
    with engine.db.transaction() as session:
        changed = session.execute(update(SchedulerHeartbeat)
                                  .where(SchedulerHeartbeat.node_id == node_id)
                                  .values(beat_at=now, fired=fired)).rowcount
        if not changed:
            session.add(SchedulerHeartbeat(node_id=node_id, host=socket.gethostname()[:200],
                                           pid=os.getpid(), started_at=started_at or now,
                                           beat_at=now, fired=fired))
        session.execute(delete(SchedulerHeartbeat)
                        .where(SchedulerHeartbeat.beat_at < now - PRUNE_AFTER))


def heartbeats(session) -> list[SchedulerHeartbeat]:
    return list(session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.node_id)))
