"""The embedded default's broker: kombu's SQLAlchemy transport on a SQLite file.

Kombu's transport stores each message as a row and commits every publish and
every take, so nothing is half-written when a process dies (the file-system
transport it replaces could leave a torn JSON file that killed the worker).
As shipped, it lacks two things a broker with late acknowledgement needs:

- an acknowledged message stays in the table (hidden) for ever;
- a message taken by a worker that dies before acknowledging it stays hidden
  for ever: kombu only gives messages back when the worker shuts down cleanly.

This channel adds both, the way kombu's Redis transport does it: an
acknowledgement deletes the row (on a connection of its own: Celery
acknowledges from another thread than the one polling), and a row taken longer than
``visibility_timeout`` seconds ago without an acknowledgement becomes visible
again, so another (or the restarted) worker runs the task.
``visibility_timeout`` must exceed the task time limit, so a live worker
always finishes first.

With ``queue_order_strategy: "priority"`` (as kombu's Redis transport takes
it), a worker consuming several queues (``-Q stripe-events,celery``) takes
from the first queue that has a message, in the order given; kombu's virtual
transports otherwise go round the queues in turn.

The transport is registered as ``tessera-sqla``:
``tessera-sqla+sqlite:////absolute/path/broker.sqlite3``.
"""

import datetime
import time
from json import loads
from queue import Empty

from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport import sqlalchemy as sqla
from kombu.utils.encoding import bytes_to_str
from kombu.utils.scheduling import FairCycle
from sqlalchemy import create_engine, delete, text, update

DEFAULT_VISIBILITY_TIMEOUT = 3600.0
# How often a worker looks for rows whose taker died.
RESTORE_EVERY_SECONDS = 5.0


class QoS(virtual.QoS):
    """Delete a row when its message is acknowledged or rejected for good."""

    def ack(self, delivery_tag: str) -> None:
        self.channel.forget(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        # With requeue, the channel's _restore shows the row again first; the
        # forget below then finds nothing to delete.
        super().reject(delivery_tag, requeue=requeue)
        self.channel.forget(delivery_tag)


class InOrderCycle(FairCycle):
    """Try the queues in the order consumed, from the first, at every poll."""

    def get(self, callback, **kwargs):
        self.pos = 0
        return super().get(callback, **kwargs)


class Channel(sqla.Channel):
    QoS = QoS

    def __init__(self, connection, **kwargs) -> None:
        # Delivery tag -> row id of the messages this channel took.
        self._taken: dict[str, int] = {}
        self._last_restore = 0.0
        options = connection.client.transport_options
        self.visibility_timeout = float(
            options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
        )
        self.in_order = options.get("queue_order_strategy") == "priority"
        super().__init__(connection, **kwargs)

    def _reset_cycle(self) -> None:
        if not self.in_order:
            super()._reset_cycle()
            return
        self._cycle = InOrderCycle(self._get_and_deliver, self._active_queues, Empty)

    def _engine_from_config(self):
        options = dict(self.connection.client.transport_options)
        options.pop("visibility_timeout", None)
        options.pop("queue_order_strategy", None)
        for key in (
            "queue_tablename",
            "message_tablename",
            "callback",
            "errback",
            "max_retries",
            "interval_start",
            "interval_step",
            "interval_max",
            "retry_errors",
        ):
            options.pop(key, None)
        return create_engine(self.connection.client.hostname, **options)

    def _get(self, queue: str) -> dict:
        obj = self._get_or_create(queue)
        self._restore_expired(obj.id)
        session = self.session
        if session.bind.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            row = (
                session.query(self.message_cls)
                .with_for_update()
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible.is_(True))
                .order_by(self.message_cls.sent_at, self.message_cls.id)
                .limit(1)
                .first()
            )
            if row is None:
                raise Empty()
            row.visible = False
            row.sent_at = datetime.datetime.now()  # the time it was taken
            payload = loads(bytes_to_str(row.payload))
            self._taken[payload["properties"]["delivery_tag"]] = row.id
            return payload
        finally:
            session.commit()

    def _restore_expired(self, queue_id: int) -> None:
        """Show again the rows taken too long ago by a worker that died."""
        now = time.monotonic()
        if now - self._last_restore < RESTORE_EVERY_SECONDS:
            return
        self._last_restore = now
        cutoff = datetime.datetime.now() - datetime.timedelta(
            seconds=self.visibility_timeout
        )
        mine = list(self._taken.copy().values())
        query = (
            self.session.query(self.message_cls)
            .filter(self.message_cls.queue_id == queue_id)
            .filter(self.message_cls.visible.is_(False))
            .filter(self.message_cls.sent_at < cutoff)
        )
        if mine:
            query = query.filter(self.message_cls.id.notin_(mine))
        query.update({"visible": True}, synchronize_session=False)
        self.session.commit()

    def _restore(self, message) -> None:
        """Give a message back (reject with requeue, or a clean shutdown)."""
        row_id = self._taken.pop(message.delivery_tag, None)
        if row_id is None:
            super()._restore(message)
            return
        table = self.message_cls.__table__
        self._write(
            update(table)
            .where(table.c.id == row_id)
            .values(visible=True, timestamp=datetime.datetime.now())
        )

    def forget(self, delivery_tag: str) -> None:
        """Delete the row of an acknowledged message."""
        row_id = self._taken.pop(delivery_tag, None)
        if row_id is None:
            return
        table = self.message_cls.__table__
        self._write(delete(table).where(table.c.id == row_id))

    def _write(self, statement) -> None:
        """Run one statement in a transaction on a connection of its own.

        Acknowledgements come from the pool's result thread while the
        consumer thread may be using the channel's session: never share it.
        """
        engine, _session_class = self._open()
        with engine.begin() as db:
            db.execute(statement)


class Transport(sqla.Transport):
    Channel = Channel


TRANSPORT_ALIASES["tessera-sqla"] = "config.broker:Transport"
