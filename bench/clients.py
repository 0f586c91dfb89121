"""The people at keyboards: one client loop for the bot, the floor app and the bare app.

The same loop drives every app so that the figures compare apps, not client code. A client clicks a level on a
member's open prompt (a signed block_actions request through simulated_slack.Driver), waits until the app's next
message lands in that member's thread at the simulated Slack (PromptWatch), then moves to its next member, round-
robin. It never clicks the same member more often than once per MEMBER_MIN_GAP seconds (Slack allows one message
a second per conversation, and nobody reads an area in less), and the time it waits for that gap is reported as
idle. The bare app's clients send the same signed clicks back to back and time the HTTP answer.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import urllib.error
from dataclasses import dataclass, field

MEMBER_MIN_GAP = 1.0  # seconds between two clicks in one member's thread
ARRIVAL_TIMEOUT = 30.0
CONNECTION_ERRORS = (ConnectionError, urllib.error.URLError, http.client.HTTPException)
MAX_ATTEMPTS = 10


def answer_action_id(level: int) -> str:
    """A level button's action id, as Slack sends it back (the bot's prompts and the floor's share them)."""
    return f"answer_level_{level}"


def click(driver, user_id: str, message, action_id: str):
    """A signed click; connections the server resets under a burst are sent again at once. Returns the reply
    and how many resets it took."""
    for resets in range(MAX_ATTEMPTS):
        try:
            return driver.click(user_id, message, action_id), resets
        except CONNECTION_ERRORS:
            continue
    raise RuntimeError(f"{MAX_ATTEMPTS} connection resets in a row")


@dataclass
class Member:
    user_id: str
    dm: str
    prompt: object  # simulated_slack.Message: the open prompt, in the member's thread
    ready_at: float
    clicks: int = 0
    done: bool = False


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # click sent -> next message in the thread
    acks: list[float] = field(default_factory=list)  # click sent -> HTTP answer
    wall: float = 0.0
    idle: float = 0.0
    resets: int = 0
    errors: list[str] = field(default_factory=list)
    cpu_per_click: float = 0.0  # the app's process's CPU seconds a click, where it has a process of its own
    machine_per_click: float = 0.0  # the whole machine's (every process: apps, simulated Slack, clients, database)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def guarded(client, run: Run, lock: threading.Lock):
    """A client thread that records its crash (which makes the benchmark fail) instead of dying quietly."""

    def target(*args):
        try:
            client(*args)
        except BaseException as error:
            with lock:
                run.errors.append(f"client crashed: {error!r}")

    return target


def _together(run: Run, threads: list[threading.Thread], barrier: threading.Barrier) -> Run:
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - started
    return run


def drive(slack, driver, groups: list[list[Member]], clicks_per_client: int, seed: int) -> Run:
    """Each group of members is one client; all clients start together. `slack` is the PromptWatch the app
    posts to, `driver` the signed requests to the app."""
    run = Run()
    lock = threading.Lock()
    barrier = threading.Barrier(len(groups) + 1)

    def client(index: int, members: list[Member]) -> None:
        rng = random.Random(seed * 1000 + index)
        active = [m for m in members if not m.done]
        latencies, acks, errors, idle, turn, resets = [], [], [], 0.0, 0, 0
        barrier.wait()
        for _ in range(clicks_per_client):
            if not active:
                errors.append("client ran out of members")
                break
            member = active[turn % len(active)]
            turn += 1
            gap = member.ready_at + MEMBER_MIN_GAP - time.perf_counter()
            if gap > 0:
                idle += gap
                time.sleep(gap)
            arrival = slack.expect(member.dm)
            sent = time.perf_counter()
            try:
                reply, reset = click(driver, member.user_id, member.prompt, answer_action_id(rng.randint(1, 5)))
            except RuntimeError as error:
                errors.append(str(error))
                slack.forget(member.dm)
                continue
            resets += reset
            acks.append(time.perf_counter() - sent)
            if reply.status != 200:
                errors.append(f"click answered HTTP {reply.status}")
                slack.forget(member.dm)
                continue
            if not arrival.wait(ARRIVAL_TIMEOUT):
                errors.append(f"no message in {member.user_id}'s thread within {ARRIVAL_TIMEOUT:.0f} s")
                slack.forget(member.dm)
                active.remove(member)
                continue
            latencies.append(arrival.at - sent)
            member.clicks += 1
            if arrival.is_prompt:
                member.prompt, member.ready_at = arrival.message, arrival.at
            else:  # the profile: this member is complete
                member.done = True
                active.remove(member)
        with lock:
            run.latencies += latencies
            run.acks += acks
            run.errors += errors
            run.idle += idle
            run.resets += resets

    threads = [
        threading.Thread(target=guarded(client, run, lock), args=(i, g), daemon=True) for i, g in enumerate(groups)
    ]
    return _together(run, threads, barrier)


def drive_bare(driver, clients: int, requests_per_client: int, prompt) -> Run:
    """Clients sending the same signed clicks back to back; the latency is the HTTP answer."""
    run = Run()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        latencies, errors, resets = [], [], 0
        user_id = f"UBARE{index}"
        barrier.wait()
        for _ in range(requests_per_client):
            sent = time.perf_counter()
            try:
                reply, reset = click(driver, user_id, prompt, answer_action_id(3))
            except RuntimeError as error:
                errors.append(str(error))
                continue
            resets += reset
            took = time.perf_counter() - sent
            if reply.status != 200:
                errors.append(f"bare app answered HTTP {reply.status}")
                continue
            latencies.append(took)
        with lock:
            run.latencies += latencies
            run.acks += latencies
            run.errors += errors
            run.resets += resets

    threads = [threading.Thread(target=guarded(client, run, lock), args=(i,), daemon=True) for i in range(clients)]
    return _together(run, threads, barrier)
