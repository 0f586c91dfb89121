"""The rate-limit buckets the processes share in PostgreSQL keep the same schedule as one process's own."""

from __future__ import annotations

import threading
import time

import pytest

from storage.rate_slots import Bucket, DatabaseRateSlots, MemoryRateSlots, rate_slots_for
from tests.conftest import SCHEMAS, _postgres_engine

WORKSPACE = Bucket("T1:chat.postMessage", per_second=20.0, burst=1)
CHANNEL = Bucket("T1:chat.postMessage:C1", per_second=1.0, burst=2)


def test_sqlite_keeps_the_buckets_in_the_process(engine):
    slots = rate_slots_for(engine)
    assert isinstance(slots, DatabaseRateSlots if engine.dialect.name == "postgresql" else MemoryRateSlots)


def test_shared_buckets_charge_a_call_to_every_bucket_it_falls_under(postgres_engine):
    slots = DatabaseRateSlots(postgres_engine)
    asked = time.monotonic()
    # Into one channel: two at once (the channel's burst), the third a second later.
    waits = [slots.reserve([WORKSPACE, CHANNEL]) + (time.monotonic() - asked) for _ in range(3)]
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[1] == pytest.approx(0.05, abs=0.05)  # the workspace's pace
    assert waits[2] == pytest.approx(1.0, abs=0.05)  # the channel's
    # A post into another channel is held only by the workspace's bucket, whose last call went at 1.0 s.
    elsewhere = slots.reserve([WORKSPACE, Bucket("T1:chat.postMessage:C2", 1.0, 2)]) + (time.monotonic() - asked)
    assert elsewhere == pytest.approx(1.05, abs=0.05)


def test_processes_reserving_at_once_get_moments_a_whole_interval_apart(postgres_engine):
    """Eight threads, each with its own engine (a process of its own), reserve 10 calls each at once: the
    80 moments they are given keep the workspace's pace exactly, with no two closer than 1/20 s."""
    engines = [_postgres_engine(SCHEMAS[postgres_engine]) for _ in range(8)]
    moments: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(engines))

    def reserve(engine) -> None:
        slots = DatabaseRateSlots(engine)
        start.wait()
        for _ in range(10):
            wait = slots.reserve([WORKSPACE])
            with lock:
                moments.append(time.monotonic() + wait)

    threads = [threading.Thread(target=reserve, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    moments.sort()
    span = moments[-1] - moments[0]
    assert len(moments) == 80
    # 80 calls at 20 a second: the last goes 79 intervals after the first (less the time it took to ask).
    assert span >= 79 / 20.0 - 0.5
