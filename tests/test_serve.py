"""The real ``hearthside serve`` process."""

import requests


def test_serve_answers_health_on_loopback(server):
    answer = requests.get(server.url + "/api/v1/health", timeout=5)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["version"]


def test_serve_logs_urls_and_stops_cleanly_on_sigterm(server):
    assert f"http://127.0.0.1:{server.port}/" in server.output(), server.output()
    returncode = server.stop()
    log = server.output()
    assert returncode == 0, log
    assert "stopping the scheduler and closing the database" in log, log
    assert "Traceback" not in log, log
