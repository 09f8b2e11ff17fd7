"""A stranger on the home Wi-Fi cannot freeze the server with live connections that never sign in.

Each open websocket holds one of gunicorn's worker threads, so transports
that never complete a signed-in Socket.IO connect must not pile up: the
server closes them after ``server.handshake_seconds`` and refuses more than
``server.unauthenticated_per_address`` open at once from one address (429).
Everything here runs against a real ``hearthside serve`` on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
import socketio
import websocket

from hearthside.testing import PASSWORD, HttpClient, onboard_couple

STRANGERS = 300
# "Still answers at all": far above a normal answer (milliseconds), far below
# the forever a frozen server takes. Not a speed measurement (benchmarks/ has those).
ANSWER_TIMEOUT = 2.0
UPGRADE = ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def open_raw_websocket(url: str) -> socket.socket:
    """What the stranger does: ask for an Engine.IO websocket, then never send Socket.IO's CONNECT."""
    host = urlsplit(url).netloc
    raw = socket.create_connection((urlsplit(url).hostname, urlsplit(url).port), timeout=10)
    raw.sendall(UPGRADE.format(host=host).encode())
    return raw


def status_of(raw: socket.socket) -> int:
    return int(raw.recv(4096).split(b" ", 2)[1])


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


def hold_screens(url: str, token: str, screens: list, count: int) -> None:
    """Open ``count`` signed-in live screens, each added to ``screens`` once open (the caller closes them)."""
    for _ in range(count):
        screen = socketio.Client(reconnection=False)
        screen.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
        screens.append(screen)


@pytest.fixture
def strangers():
    """Raw sockets opened in a test, always closed before the server stops."""
    opened: list[socket.socket] = []
    yield opened
    for raw in opened:
        raw.close()


@pytest.mark.slow
def test_300_sockets_that_never_sign_in_leave_health_sign_in_and_pause_answering(server, strangers):
    http = HttpClient(server.url)
    ann, _bob = onboard_couple(http)
    strangers.extend(open_raw_websocket(server.url) for _ in range(STRANGERS))

    health = requests.get(server.url + "/api/v1/health", timeout=ANSWER_TIMEOUT)
    assert health.status_code == 200
    sign_in = requests.post(server.url + "/api/v1/auth/token", json={"username": "ann", "password": PASSWORD},
                            timeout=ANSWER_TIMEOUT)
    assert sign_in.status_code == 200 and sign_in.json()["token"]
    pause = requests.post(server.url + "/api/v1/pause", json={"minutes": 10}, timeout=ANSWER_TIMEOUT,
                          headers={"Authorization": f"Bearer {ann.token}"})
    assert pause.status_code == 200

    statuses = [status_of(raw) for raw in strangers]
    assert statuses.count(101) == 10  # server.unauthenticated_per_address
    assert statuses.count(429) == STRANGERS - 10
    log = server.output()
    assert "Traceback" not in log
    assert log.count("Refusing live connections from 127.0.0.1") == 1  # retries cannot fill the Pi's disk


@pytest.fixture
def strict_server(data_dir):
    """A server that closes unsigned connections after 1 s and lets one address hold 2."""
    from tests.conftest import ServerProcess

    process = ServerProcess(data_dir, env={"HEARTHSIDE_SERVER__HANDSHAKE_SECONDS": "1",
                                           "HEARTHSIDE_SERVER__UNAUTHENTICATED_PER_ADDRESS": "2"})
    yield process
    process.stop_soon()


def test_a_websocket_that_never_signs_in_is_closed_after_the_handshake_time(strict_server):
    raw = websocket.create_connection(ws_url(strict_server.url), timeout=5)
    try:
        assert raw.recv().startswith("0{")  # Engine.IO OPEN; then silence, no Socket.IO CONNECT
        # Closed after 1 s; without the rule the next thing would be a ping after 25 s (recv would time out).
        assert raw.recv() == "1"  # Engine.IO CLOSE
        assert raw.recv() == ""  # then the websocket's own close frame: the server's thread is free
    finally:
        raw.close()


def test_a_long_polling_session_that_never_signs_in_is_closed_too(strict_server):
    base = strict_server.url + "/socket.io/?EIO=4&transport=polling"
    sid = json.loads(requests.get(base, timeout=5).text[1:])["sid"]
    # The waiting GET is answered with CLOSE after 1 s, not by the ping after 25 s.
    assert requests.get(f"{base}&sid={sid}", timeout=5).text == "1"


def test_one_address_may_hold_only_a_few_unsigned_connections(strict_server, strangers):
    first, second = (websocket.create_connection(ws_url(strict_server.url), timeout=5) for _ in range(2))
    try:
        refused = requests.get(strict_server.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_connections"
        assert refused.headers["Retry-After"] == "1"  # server.handshake_seconds: the doorman frees a slot by then
        with pytest.raises(websocket.WebSocketBadStatusException) as third:
            websocket.create_connection(ws_url(strict_server.url), timeout=5)
        assert third.value.status_code == 429
    finally:
        first.close()
        second.close()


def test_signed_in_screens_are_not_counted_or_closed(strict_server):
    ann, _bob = onboard_couple(HttpClient(strict_server.url))
    screens = []
    try:
        hold_screens(strict_server.url, ann.token, screens, 3)  # more than the 2 unsigned connections allowed
        arrived = []
        screens[0].on("event", arrived.append)
        # Past the 1 s allowed before signing in and the doorman's next round (0.25 s) after it.
        screens[0].sleep(1.75)
        assert all(screen.connected for screen in screens)
        ann.post("/api/v1/pause")
        deadline = time.monotonic() + 5
        while not any(event["type"] == "pause.started" for event in arrived) and time.monotonic() < deadline:
            screens[0].sleep(0.05)
        assert any(event["type"] == "pause.started" for event in arrived)
    finally:
        for screen in screens:
            screen.disconnect()


@pytest.fixture
def small_server(data_dir):
    """At most 4 live screens; 4 + 16 (the room to refuse politely) transport threads, 2 for pages."""
    from tests.conftest import ServerProcess

    process = ServerProcess(data_dir, env={"HEARTHSIDE_SERVER__LIVE_CONNECTIONS": "4",
                                           "HEARTHSIDE_SERVER__HTTP_THREADS": "2",
                                           "HEARTHSIDE_SERVER__UNAUTHENTICATED_PER_ADDRESS": "100"})
    yield process
    process.stop_soon()


def test_a_live_screen_past_the_cap_hears_why_in_plain_words_and_pages_keep_loading(small_server):
    """Past server.live_connections, a new screen gets Socket.IO's connect_error with a plain message."""
    ann, _bob = onboard_couple(HttpClient(small_server.url))
    screens = []
    try:
        hold_screens(small_server.url, ann.token, screens, 4)
        fifth, heard = socketio.Client(reconnection=False), []
        fifth.on("connect_error", heard.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            fifth.connect(small_server.url, auth={"token": ann.token}, transports=["websocket"], wait_timeout=5)
        assert heard == [{"message": "This server already holds as many live screens as it can (4); pages still "
                                     "work. Close a screen you no longer use, or raise server.live_connections."}]
        http = requests.Session()
        http.headers["Connection"] = "close"  # an idle kept-alive one holds a stopping server 2 s
        pages = [http.get(small_server.url + path, timeout=ANSWER_TIMEOUT) for path in
                 ("/api/v1/health", "/welcome", "/signin") * 5]
        assert {page.status_code for page in pages} == {200}
        screens.pop().disconnect()
        screens[0].sleep(0.5)
        again = socketio.Client(reconnection=False)  # a slot is free again
        again.connect(small_server.url, auth={"token": ann.token}, transports=["websocket"], wait_timeout=5)
        screens.append(again)
    finally:
        for screen in screens:
            screen.disconnect()
    log = small_server.output()
    assert log.count("Refusing a live screen: 4 are signed in, the most server.live_connections allows") == 1
    assert "ann" not in log.lower().split("refusing a live screen")[1].splitlines()[0]


def test_a_page_turned_away_by_a_full_server_says_so_calmly_and_gets_in_once_there_is_room(small_server, chromium):
    """The member's page shows a plain line (not an error) in its live status, and its quiet retry succeeds."""
    from playwright.sync_api import expect

    from hearthside.testing.browser import BrowserGuard, signed_in_page

    ann, _bob = onboard_couple(HttpClient(small_server.url))
    screens = []
    try:
        hold_screens(small_server.url, ann.token, screens, 4)
        guard = BrowserGuard(small_server.url)
        page = signed_in_page(chromium, guard, ann.username)
        page.goto("/")
        line = page.locator("[data-live-status]")
        expect(line).to_have_text("Live updates paused: too many screens connected; retrying")
        expect(line).to_be_visible()
        expect(page.locator("[data-pause-start]")).to_be_enabled()  # the page itself works
        screens.pop().disconnect()
        page.wait_for_function("() => Hearthside.socket && Hearthside.socket.connected", timeout=30000)
        expect(line).to_be_hidden()
        assert guard.outside == [] and guard.errors == [], (guard.outside, guard.errors)
    finally:
        for screen in screens:
            screen.disconnect()


def test_sockets_beyond_the_thread_count_are_refused_and_pages_keep_loading(small_server, strangers):
    """As many sockets as threads left no thread for any page: every request hung (issue 16, item 3).

    The server has 4 + 16 threads for live transports and 2 for pages; 30
    transports that never sign in ask for more than all of them together.
    """
    for _ in range(30):
        strangers.append(open_raw_websocket(small_server.url))
    statuses = [status_of(raw) for raw in strangers]
    assert statuses.count(101) == 20 and statuses.count(503) == 10
    http = requests.Session()
    http.headers["Connection"] = "close"
    refused = http.get(small_server.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert refused.json()["error"]["code"] == "too_many_live_connections"
    assert "pages still work" in refused.json()["error"]["message"]
    pages = [http.get(small_server.url + path, timeout=ANSWER_TIMEOUT) for path in
             ("/api/v1/health", "/welcome", "/signin") * 5]
    assert {page.status_code for page in pages} == {200}
    assert small_server.output().count("as many as the server keeps threads for") == 1


def test_requests_that_ask_to_close_but_never_close_their_end_hold_no_other_request(server, strangers):
    """gunicorn waited for each such client's FIN on its one event loop, 2 s apiece: ten froze every page 20 s."""
    address = (urlsplit(server.url).hostname, urlsplit(server.url).port)
    for _ in range(10):
        raw = socket.create_connection(address, timeout=10)
        raw.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hearthside\r\nConnection: close\r\n\r\n")
        strangers.append(raw)  # reads nothing, never closes
    assert all(raw.recv(4096).startswith(b"HTTP/1.1 200") for raw in strangers)
    http = requests.Session()
    http.headers["Connection"] = "close"
    pages = [http.get(server.url + path, timeout=ANSWER_TIMEOUT) for path in ("/api/v1/health", "/welcome") * 3]
    assert {page.status_code for page in pages} == {200}
