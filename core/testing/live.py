"""Socket.IO test clients: who heard which live event.

Flask-SocketIO's own test client, no network: an event a request emits is in
the client's inbox when the request returns.
"""

from __future__ import annotations

import json


class LiveClient:
    """One Socket.IO test client: the live ``event`` messages it has heard so far."""

    def __init__(self, sio):
        self.sio = sio
        self._heard: list[dict] = []
        self._read = 0  # how many of _heard :meth:`received` has handed out

    def _drain(self) -> None:
        self._heard += [m["args"][0] for m in self.sio.get_received() if m["name"] == "event"]

    def events(self, type: str | None = None) -> list[dict]:
        """Every event heard since connecting (or the last :meth:`clear`), optionally of one type.

        A ``type`` ending in ``.`` matches a prefix: ``events("gratitude_jar.")``.
        """
        self._drain()
        if type is None:
            return list(self._heard)
        return [e for e in self._heard if e["type"] == type or (type.endswith(".") and e["type"].startswith(type))]

    def received(self) -> list[dict]:
        """The events heard since the last call (or since connecting): each is handed out once.

        For a test that acts, looks at what arrived, and acts again.
        """
        self._drain()
        new = self._heard[self._read:]
        self._read = len(self._heard)
        return new

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def clear(self) -> None:
        self._drain()
        self._heard = []
        self._read = 0

    @property
    def connected(self) -> bool:
        return self.sio.is_connected()

    def disconnect(self) -> None:
        if self.sio.is_connected():
            self.sio.disconnect()


def connect_socket(app, token: str | None) -> LiveClient:
    """A Socket.IO test client authenticated with ``token`` (Flask-SocketIO's, no network)."""
    socketio = app.extensions["socketio"]
    return LiveClient(socketio.test_client(app, auth={"token": token} if token is not None else None))


def listen(app, token: str, name: str = "the client") -> LiveClient:
    """A live client the server must let in (the test fails otherwise), hearing events from now on."""
    client = connect_socket(app, token)
    assert client.connected, f"the live stream refused {name}'s token"
    client.clear()
    return client


class Sockets:
    """Live clients by name (``sockets.ann``, ``sockets["wall"]``) and who heard what."""

    def __init__(self, app):
        self.app = app
        self.clients: dict[str, LiveClient] = {}

    def connect(self, name: str, token: str) -> LiveClient:
        client = listen(self.app, token, name)
        self.clients[name] = client
        return client

    def __getattr__(self, name: str) -> LiveClient:
        try:
            return self.__dict__["clients"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> LiveClient:
        return self.clients[name]

    def heard_by(self, text: str) -> set[str]:
        """The names of the clients that received any event whose JSON contains ``text``."""
        return {name for name, client in self.clients.items() if text in json.dumps(client.events())}

    def who_heard(self, type: str) -> set[str]:
        """The names of the clients that received an event of this type (or ``prefix.``)."""
        return {name for name, client in self.clients.items() if client.events(type)}

    def clear(self) -> None:
        for client in self.clients.values():
            client.clear()

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()
