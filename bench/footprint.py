"""Figure 4: the footprint of `python -m bot`: start-up to ready, and resident memory when idle.

Each run spawns `python -m bot` (HTTP mode, the clock on, as deployed) in a fresh temporary directory
with a fresh SQLite DATABASE_URL, a free PORT, and SLACK_API_URL pointing at the simulated Slack served by this
process. Ready means: the port accepts a connection and a signed `/maturity help` answers 200. After 2 s
more of idling, VmRSS and VmHWM are read from /proc/PID/status, and /proc/PID/maps tells whether any of
matplotlib's compiled modules were loaded (the bot must start without matplotlib: it is imported only
to draw a chart).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import TEAM, Row, median, spread

READY_TARGET = 2.0
RSS_TARGET_MB = 120
IDLE_SECONDS = 2.0
START_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])  # kB
    return values


def loaded_matplotlib(pid: int) -> list[str]:
    """matplotlib's shared objects mapped into the process (its C extensions load with the package)."""
    paths = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and "/matplotlib/" in parts[5]:
            paths.add(parts[5])
    return sorted(paths)


def one_run(slack, log=print) -> dict:
    from bench.fake import SIGNING_SECRET, workspace

    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "MATURITY_"))
            and k not in ("DATABASE_URL", "PORT", "LOG_LEVEL", "LOG_FORMAT")
        }
        env.update(
            SLACK_BOT_TOKEN="xoxb-T1",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'maturity.db'}",
            PORT=str(port),
            PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        )
        people = workspace(slack, f"http://127.0.0.1:{port}/slack/events", TEAM)
        stderr = open(Path(tmp) / "stderr.log", "wb")  # noqa: SIM115 (closed in the finally below)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            port_open = ready = None
            deadline = started + START_TIMEOUT
            while ready is None:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"python -m bot exited with {process.returncode}: "
                        f"{(Path(tmp) / 'stderr.log').read_text()[-1500:]}"
                    )
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"python -m bot was not ready within {START_TIMEOUT:.0f} s")
                if port_open is None:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                        port_open = time.perf_counter() - started
                    except OSError:
                        time.sleep(0.01)
                        continue
                try:
                    reply = people.command("U1", "help")
                except OSError:
                    time.sleep(0.01)
                    continue
                if reply.status == 200:
                    ready = time.perf_counter() - started
                else:
                    raise RuntimeError(f"/maturity help answered {reply.status}: {reply.body[:300]}")
            time.sleep(IDLE_SECONDS)
            status = proc_status(process.pid)
            matplotlib = loaded_matplotlib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stderr.close()
    return {
        "port_open_s": port_open,
        "ready_s": ready,
        "rss_mb": status["VmRSS"] / 1024,
        "hwm_mb": status["VmHWM"] / 1024,
        "matplotlib_files": matplotlib,
    }


def measure(*, runs: int, log=print) -> tuple[list[Row], dict]:
    from bench.fake import simulated_slack

    slack = simulated_slack()
    try:
        slack.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT")
        slack.add_user(TEAM, "U1", name="alice", real_name="Alice")
        slack.add_channel(TEAM, "C1", name="procurement", members=["U1"])
        results = []
        for index in range(runs):
            result = one_run(slack, log)
            results.append(result)
            log(
                f"  footprint run {index + 1}/{runs}: port {result['port_open_s']:.2f} s, ready {result['ready_s']:.2f} s, "
                f"RSS {result['rss_mb']:.1f} MB, matplotlib {'LOADED' if result['matplotlib_files'] else 'not loaded'}"
            )
    finally:
        slack.stop()

    ready = [r["ready_s"] for r in results]
    port = [r["port_open_s"] for r in results]
    rss = [r["rss_mb"] for r in results]
    hwm = [r["hwm_mb"] for r in results]
    loaded = sorted({f for r in results for f in r["matplotlib_files"]})

    def seconds(v):
        return f"{v:.2f} s"

    def megabytes(v):
        return f"{v:.1f} MB"

    rows = [
        Row(
            figure="start-up to ready (python -m bot, fresh SQLite)",
            target=f"<= {READY_TARGET:.0f} s",
            measured=spread(ready, seconds),
            baseline=f"port open {spread(port, seconds)}",
            ratio="",
            met=median(ready) <= READY_TARGET,
            data={"ready_s": ready, "port_open_s": port},
        ),
        Row(
            figure=f"idle resident memory (VmRSS, ready + {IDLE_SECONDS:.0f} s)",
            target=f"<= {RSS_TARGET_MB} MB",
            measured=spread(rss, megabytes),
            baseline=f"VmHWM {spread(hwm, megabytes)}",
            ratio="",
            met=median(rss) <= RSS_TARGET_MB,
            data={"rss_mb": rss, "hwm_mb": hwm},
        ),
        Row(
            figure="matplotlib loaded at idle (/proc/PID/maps)",
            target="no",
            measured="yes: " + ", ".join(Path(f).name for f in loaded[:3]) if loaded else "no",
            baseline="",
            ratio="",
            met=not loaded,
            data={"files": loaded},
        ),
    ]
    return rows, {"ready_s": median(ready), "rss_mb": median(rss)}
