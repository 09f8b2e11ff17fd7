"""Requests borrow pooled connections, and the live path opens none of its own (issue 16, item 8)."""

from __future__ import annotations

import threading

from hearthside.storage import POOL_SIZE, Storage
from hearthside.hookspecs import hookimpl
from hearthside.testing import connect_socket, hs_of, onboard_couple
from tests.test_timeboxes import BOX, StuckReaction


def count_connects(monkeypatch) -> list:
    opened = []
    real = Storage.connect

    def connect(self):
        db = real(self)
        opened.append(db)
        return db

    monkeypatch.setattr(Storage, "connect", connect)
    return opened


def test_a_connection_given_back_clean_is_lent_again_and_the_pool_keeps_at_most_its_size(hs):
    storage = hs.storage
    first = storage.borrow()
    storage.give_back(first)
    assert storage.borrow() is first
    many = [storage.borrow() for _ in range(POOL_SIZE + 3)]
    for db in many:
        storage.give_back(db)
    kept = [storage.borrow() for _ in range(POOL_SIZE + 3)]
    assert len({id(db) for db in kept} & {id(db) for db in many}) == POOL_SIZE
    for db in kept:
        storage.give_back(db)


def test_a_connection_in_a_transaction_or_left_to_a_hung_hook_is_closed_not_lent(hs):
    storage = hs.storage
    busy = storage.borrow()
    busy.execute("BEGIN IMMEDIATE")  # as if a request ended mid-transaction
    storage.give_back(busy)
    abandoned = storage.borrow()
    assert abandoned is not busy
    abandoned.reusable = False
    storage.give_back(abandoned)
    for db in (busy, abandoned):
        try:
            db.execute("SELECT 1")
        except Exception as exc:  # sqlite3.ProgrammingError: closed
            assert "closed" in str(exc)
        else:
            raise AssertionError("a connection the pool must not keep is still open")
    again = storage.borrow()
    assert again not in (busy, abandoned)
    storage.give_back(again)


def test_requests_and_the_live_path_open_no_connection_once_the_pool_is_warm(app, couple, wall, monkeypatch):
    """The pause, its revocation check before sending and the touch hook all use the request's own connection."""
    ann, bob = couple
    sockets = [connect_socket(app, token) for token in (ann.token, bob.token, wall.token)]
    assert all(socket.connected for socket in sockets)
    assert bob.post("/api/v1/pause", json={"minutes": 20}).status_code == 200  # warm
    opened = count_connects(monkeypatch)
    for _ in range(3):
        assert bob.post("/api/v1/pause", json={"minutes": 20}).status_code == 200
        assert ann.delete("/api/v1/pause").status_code == 200
        assert wall.get("/api/v1/dashboard").status_code == 200
    assert opened == []
    heard = [event["type"] for event in sockets[2].events() if event["type"].startswith("pause.")]
    assert heard[-6:] == ["pause.started", "pause.ended"] * 3


class HeldReaction(StuckReaction):
    """Keeps the connection its hook was given, and hangs with it."""

    def __init__(self, name, release):
        super().__init__(name, release)
        self.held = []

    @hookimpl
    def hearthside_event(self, hs, db, event):
        self.held.append(db)
        self.wait()


def test_the_connection_a_hung_hook_holds_is_never_lent_to_the_next_request(make_app):
    release = threading.Event()
    reaction = HeldReaction("held_reaction", release)
    try:
        app = make_app(env=BOX, extra_plugins={"held_reaction": reaction})
        ann, _bob = onboard_couple(app.test_client())  # its first event overruns the hook's box
        assert "held_reaction" in app.test_client().get("/api/v1/health").json["failed_plugins"]
        held = reaction.held[0].conn  # the hook gets its own handle on the request's connection (core/fence.py)
        idle = hs_of(app).storage._idle
        assert all(db.conn is not held for db in idle)
        for _ in range(POOL_SIZE + 1):  # every connection lent from now on is another one
            assert ann.get("/api/v1/pause").status_code == 200
            assert all(db.conn is not held for db in idle)
    finally:
        release.set()
