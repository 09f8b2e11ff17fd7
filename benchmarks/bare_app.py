"""The bare stack: a Flask-SocketIO app with no Hearthside in it.

Used as the baseline of the live-path benchmarks: ``POST /fire`` broadcasts
one message to every connected client, as a pause does in Hearthside.
Run under gunicorn (``benchmarks.bare_app:app``, threading) or with
``python -m benchmarks.bare_app --gevent PORT``.
"""

import sys

GEVENT = "--gevent" in sys.argv
if GEVENT:
    from gevent import monkey

    monkey.patch_all()

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent" if GEVENT else "threading")


@socketio.on("connect")
def on_connect(auth=None):
    join_room("couple:1")


@app.post("/fire")
def fire():
    socketio.emit("event", request.get_json(), to="couple:1")
    return jsonify({"ok": True})


@app.get("/api/v1/health")
def health():
    return jsonify({"status": "ok"})


if __name__ == "__main__" and GEVENT:
    from gevent.pywsgi import WSGIServer

    WSGIServer(("127.0.0.1", int(sys.argv[-1])), app, log=None).serve_forever()
