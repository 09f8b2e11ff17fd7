"""The process's write lock is first come, first served: no writer is starved behind later ones (issue 16)."""

from __future__ import annotations

import threading
import time

import pytest

from hearthside.fair_lock import FairLock
from hearthside.hub import Hub


def wait_until(condition, what: str) -> None:
    """Poll until ``condition()`` holds; a hang fails the test instead of freezing it."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)


def queue_writers(lock: FairLock, count: int, order: list) -> list[threading.Thread]:
    """Start ``count`` threads one after another, each queued before the next starts."""
    threads = []

    def write(n: int) -> None:
        with lock:
            order.append(n)

    for n in range(count):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        wait_until(lambda n=n: lock.waiting() == n + 1, f"writer {n} queued")
        threads.append(thread)
    return threads


def test_writers_get_the_lock_in_the_order_they_asked_for_it():
    lock, order = FairLock(), []
    lock.acquire()
    threads = queue_writers(lock, 8, order)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == list(range(8))
    assert lock.waiting() == 0


def test_the_holder_cannot_take_the_lock_back_from_a_waiting_writer():
    """What starved writers before: the thread letting go asking again at once and winning."""
    lock, order = FairLock(), []
    lock.acquire()
    threads = queue_writers(lock, 1, order)
    lock.release()
    assert not lock.acquire(blocking=False)  # it is the waiting writer's now
    lock.acquire()  # queued behind it
    order.append("holder again")
    lock.release()
    threads[0].join(10)
    assert order == [0, "holder again"]


def test_a_wait_that_runs_out_leaves_the_queue_and_the_rest_still_get_their_turn():
    lock, order = FairLock(), []
    lock.acquire()
    gave_up = []
    impatient = threading.Thread(target=lambda: gave_up.append(lock.acquire(timeout=0.05)))
    impatient.start()
    impatient.join(10)
    assert gave_up == [False]
    assert lock.waiting() == 0
    threads = queue_writers(lock, 2, order)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1]


def test_it_is_reentrant_and_only_its_holder_may_release_it():
    lock = FairLock()
    with lock:
        with lock:
            assert lock.acquire(blocking=False)
            lock.release()
        other = []
        thread = threading.Thread(target=lambda: other.append(lock.acquire(blocking=False)))
        thread.start()
        thread.join(10)
        assert other == [False]  # still held after the inner release
    with pytest.raises(RuntimeError):
        lock.release()


def test_events_queued_under_the_lock_are_sent_in_order_even_when_another_thread_is_sending():
    """A thread that finds the hub sending leaves its events to the sender, which sends them after its own."""
    hub, heard = Hub(), []
    sending, go_on = threading.Event(), threading.Event()

    def slow_listener(event) -> None:
        heard.append(event)
        if event == 1:
            sending.set()
            go_on.wait(10)

    hub.subscribe(slow_listener)
    hub.enqueue([1])
    first = threading.Thread(target=hub.flush)
    first.start()
    sending.wait(10)
    hub.enqueue([2, 3])
    hub.flush()  # returns at once: the first thread is sending
    assert heard == [1]
    go_on.set()
    first.join(10)
    assert heard == [1, 2, 3]


def test_a_listener_may_ask_for_the_senders_connection():
    hub, heard = Hub(), []
    hub.subscribe(lambda event, db: heard.append((event, db)), with_db=True)
    hub.subscribe(lambda event: heard.append(event))
    hub.enqueue(["e"])
    hub.flush(db="the sender's connection")
    assert heard == [("e", "the sender's connection"), "e"]
