"""From a committed event to a phone: who is told, what it says, and the one thread that sends it.

The core's ``hearthside_event`` calls :func:`on_event` for every committed
event (so nothing is ever sent for a change that rolled back). It asks the
plugins' ``hearthside_notifications`` which members the event concerns, keeps
only members who may see the event (a plugin's slip cannot tell the partner
about a private event), and applies each member's choices
(:mod:`hearthside.notify`): the kind switched on, not inside their quiet
hours, a channel to send on. What is sent is content-free - "Something is
waiting in Hearthside" and a link to the app - unless the member chose
detailed notifications.

The request never waits for a push service: each :class:`Delivery` goes on
a queue that one daemon thread per app (:class:`Notifier`, ``hs.notifier``)
works through, each POST with a timeout (``notifications.timeout_seconds``).
A 404 or 410 from a push service means the subscription is gone and removes
it. Failures are logged with the push service's host and a status or error
type, never the endpoint (a capability) nor anything a member wrote.
"""

from __future__ import annotations

import http.client
import json
import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import notify
from .accounts import couple_members, get_couple
from .clock import utc_now
from .webpush import PADDED_SIZE, encrypt, load_or_create_vapid_key, vapid_header

log = logging.getLogger(__name__)

TITLE = "Hearthside"
CONTENT_FREE = "Something is waiting in Hearthside"
MAX_DETAIL = 300  # characters: a lock screen shows two lines (push_payload shortens more to fit its size)
MAX_LINK = 200
PUSH_TTL = 12 * 3600  # seconds a push service keeps a message for a phone that is off
GONE = (404, 410)


@dataclass(frozen=True)
class Message:
    """What a notification says: content-free unless the member chose detailed ones."""

    title: str
    body: str
    url: str
    tag: str

    @classmethod
    def content_free(cls) -> "Message":
        return cls(TITLE, CONTENT_FREE, "/", "hearthside")

    def as_json(self) -> dict:
        return {"title": self.title, "body": self.body, "url": self.url, "tag": self.tag}

    def push_payload(self) -> bytes:
        """The JSON a push carries, its body shortened (with an ellipsis) until it fits the padded size."""
        body, url = self.body, self.url if len(self.url) <= MAX_LINK else "/"
        while True:
            data = json.dumps({**self.as_json(), "body": body, "url": url}, ensure_ascii=False,
                              separators=(",", ":")).encode()
            if len(data) < PADDED_SIZE:
                return data
            body = body[:len(body) - max(2, (len(data) - PADDED_SIZE) // 4 + 2)] + "…"


@dataclass(frozen=True)
class Delivery:
    """One message for one member, with where it goes (read when it was queued)."""

    member_id: int
    message: Message
    push: tuple[dict, ...] = ()
    ntfy: dict | None = None


# -- who is told, and what ----------------------------------------------------------------------------


def on_event(hs, db, event) -> int:
    """Queue the notifications a committed event causes; how many were queued."""
    notes = [(plugin, note) for plugin, answer in hs.plugins.answers("hearthside_notifications", hs=hs, db=db,
                                                                      event=event) for note in answer if note.members]
    members = couple_members(db, event.couple_id) if notes else []
    if not members:
        return 0
    allowed = {event.audience_id} if event.visibility == "private" else {member["id"] for member in members}
    time_zone, now, queued = get_couple(db, event.couple_id)["time_zone"], utc_now(hs), 0
    for plugin, note in notes:
        for member_id in dict.fromkeys(note.members):
            if member_id not in allowed:
                log.warning("The plugin %r asked to notify a member who may not see its %s event; not sent",
                            plugin, event.type)
                continue
            delivery = delivery_for(hs, db, member_id, note, time_zone, now)
            if delivery is not None:
                hs.notifier.put(delivery)
                queued += 1
    return queued


def delivery_for(hs, db, member_id: int, note, time_zone: str, now) -> Delivery | None:
    """The member's delivery of ``note`` under their choices, or None (kind off, quiet hours, no channel)."""
    chosen = notify.choices(db, member_id)
    if not chosen["kinds"].get(note.kind) or notify.in_quiet_hours(chosen["quiet_hours"], time_zone, now):
        return None
    if chosen["detail"] == "detailed":
        message = Message(TITLE, note.detail[:MAX_DETAIL], note.link, note.kind)
    else:
        message = Message.content_free()
    return targets(hs, db, member_id, message, chosen)


def targets(hs, db, member_id: int, message: Message, chosen: dict | None = None) -> Delivery | None:
    """``message`` for every channel the member has set up and switched on; None if there is none."""
    chosen = chosen or notify.choices(db, member_id)
    push = tuple(notify.push_targets(db, member_id)) if chosen["channels"]["push"] else ()
    ntfy = notify.ntfy_topic(db, member_id) if chosen["channels"]["ntfy"] and ntfy_server(hs) else None
    return Delivery(member_id, message, push, ntfy) if push or ntfy else None


def ntfy_server(hs) -> str:
    return hs.config["notifications.ntfy_server"]


# -- sending ------------------------------------------------------------------------------------------


class Notifier:
    """The queue of deliveries and the one thread sending them, started on the first one."""

    def __init__(self, hs):
        self.hs = hs
        self.queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._key = None

    def put(self, delivery: Delivery) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hearthside-notify", daemon=True)
                self._thread.start()
        self.queue.put(delivery)

    def wait(self, timeout: float = 30.0) -> bool:
        """Whether everything queued so far was handled within ``timeout`` seconds (tests, shutdown)."""
        with self.queue.all_tasks_done:
            return self.queue.all_tasks_done.wait_for(lambda: not self.queue.unfinished_tasks, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout`` seconds), then end the thread."""
        if self._thread is not None and self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout)

    def public_key(self):
        """The VAPID key (made on first use); browsers subscribe with its public half."""
        with self._lock:
            if self._key is None:
                self._key = load_or_create_vapid_key(self.hs.config.data_dir)
            return self._key

    def _run(self) -> None:
        while True:
            delivery = self.queue.get()
            try:
                if delivery is None:
                    return
                self._deliver(delivery)
            except Exception as exc:  # the thread must outlive any one delivery
                log.warning("Sending a notification failed (%s)", type(exc).__name__)
            finally:
                self.queue.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        timeout = self.hs.config["notifications.timeout_seconds"]
        payload = delivery.message.push_payload()
        for subscription in delivery.push:
            service = urlsplit(subscription["endpoint"]).hostname
            try:
                status = post(subscription["endpoint"], encrypt(payload, subscription["p256dh"], subscription["auth"]),
                              self._push_headers(subscription["endpoint"]), timeout)
            except (OSError, http.client.HTTPException) as exc:
                log.warning("Push to %s failed (%s)", service, type(exc).__name__)
                continue
            if status in GONE:
                with self.hs.storage.connection() as db:
                    notify.drop_gone(db, subscription["id"])
                log.info("Push service %s says subscription %d is gone; removed it", service, subscription["id"])
            elif not 200 <= status < 300:
                log.warning("Push to %s failed (HTTP %d)", service, status)
        if delivery.ntfy:
            self._ntfy(delivery.ntfy, delivery.message, timeout)

    def _push_headers(self, endpoint: str) -> dict:
        return {"Authorization": vapid_header(self.public_key(), endpoint, self.hs.config["notifications.contact"],
                                              time.time()),
                "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                "TTL": str(PUSH_TTL), "Urgency": "normal"}

    def _ntfy(self, topic: dict, message: Message, timeout: float) -> None:
        """ntfy's JSON publishing (UTF-8 safe, unlike its headers): POST to the server's root."""
        message = over_the_wire(topic["topic_url"], message)
        root, name = topic["topic_url"].rsplit("/", 1)
        body = {"topic": name, "title": message.title, "message": message.body, "tags": ["house"]}
        base = self.hs.config["server.base_url"]
        if base:
            body["click"] = base + message.url
        headers = {"Content-Type": "application/json"}
        if topic["token"]:
            headers["Authorization"] = f"Bearer {topic['token']}"
        try:
            status = post(root + "/", json.dumps(body).encode(), headers, timeout)
        except (OSError, http.client.HTTPException) as exc:
            log.warning("Sending to ntfy failed (%s)", type(exc).__name__)
            return
        if not 200 <= status < 300:
            log.warning("Sending to ntfy failed (HTTP %d)", status)


def over_the_wire(url: str, message: Message) -> Message:
    """What may go to ``url``: over plain http anyone on the Wi-Fi (the partner too) reads it, so only the
    content-free text, whatever the member chose; detailed text only over https (a push is always encrypted)."""
    return message if url.startswith("https://") else Message.content_free()


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST and answer the status; no redirect is followed (a push goes where it was sent, or nowhere)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body,
                           {**headers, "Content-Length": str(len(body))})
        answer = connection.getresponse()
        answer.read(65536)
        return answer.status
    finally:
        connection.close()
