"""The apps as child processes, started as in production and measured from outside (/proc).

`AppProcess` runs the bot (`python -m bot` in HTTP mode, or gunicorn with the Procfile's web command) or one of
the benchmark's comparison apps (`python -m bench.app_process bare|floor`), configured through its environment,
on the simulated Slack of the benchmark's own process and on one of its databases. The CPU of any process is read
from /proc, so that a figure can say where a click's time went.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import Database
from bench.fake import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xoxb-T1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile(kind: str) -> str:
    """The command of one process type in the Procfile."""
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind:
            return command.strip()
    raise LookupError(f"no {kind!r} process in the Procfile")


class AppProcess:
    """An app server as a child process, configured through its environment as in production: the bot
    (`python -m bot` in HTTP mode, or gunicorn with the Procfile's web command) or a comparison app
    (`python -m bench.app_process`). Settings given as None are left at the default."""

    workers = 1
    ready_mark = "Outbox:"  # the bot's log line once a worker's outbox senders run (one per worker)
    healthz = True  # whether readiness also waits for GET /healthz (the bot's load-balancer check)

    def __init__(self, command: list[str], slack, db: Database, logs: Path, name: str, *, cwd: Path, **settings):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            PYTHONPATH=str(ROOT),
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=db.url_for_processes(),
            PORT=str(self.port),
            LOG_LEVEL="INFO",
            MATURITY_CLOCK="false",  # the clock has its own process in production (Procfile: clock)
        )
        env.update({k: str(v) for k, v in settings.items() if v is not None})
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @classmethod
    def python_m_bot(cls, slack, db: Database, logs: Path, name: str, **settings) -> AppProcess:
        return cls([sys.executable, "-m", "bot"], slack, db, logs, name, cwd=logs, **settings)

    @classmethod
    def gunicorn(cls, slack, db: Database, logs: Path, workers: int, **settings) -> AppProcess:
        """The Procfile's web process with WEB_CONCURRENCY workers, started from the project's directory (where
        gunicorn finds gunicorn.conf.py)."""
        command = ["sh", "-c", f"exec {procfile('web')}"]
        server = cls(command, slack, db, logs, f"gunicorn-{workers}", cwd=ROOT, WEB_CONCURRENCY=workers, **settings)
        server.workers = workers
        return server

    @classmethod
    def comparison(cls, kind: str, slack, db: Database, logs: Path, **settings) -> AppProcess:
        """The bare app or the floor app (bench/app_process.py), with the bot's settings."""
        from bench.app_process import READY

        server = cls([sys.executable, "-m", "bench.app_process", kind], slack, db, logs, kind, cwd=logs, **settings)
        server.ready_mark, server.healthz = READY, False
        return server

    def wait_ready(self, timeout: float = 60.0):
        """Until the process says it is ready (every worker, for the bot: its outbox senders run) and, for the
        bot, /healthz answers; the URL Slack sends its requests to."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            said = self.log_path.read_text(errors="replace").count(self.ready_mark) >= self.workers
            if said and (not self.healthz or self._healthy()):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready in {timeout:.0f} s: {self.log_tail()}")
            time.sleep(0.1)
        from bot.wsgi import EVENTS_PATH

        return self.url + EVENTS_PATH

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def log_tail(self, lines: int = 5) -> str:
        self._log.flush()
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """gunicorn's workers (the master's children); the process itself otherwise."""
        children = [pid for pid, parent in _processes() if parent == self.process.pid]
        return children or [self.process.pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def _processes() -> list[tuple[int, int]]:
    """(pid, parent pid) of every process, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            out.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server's processes on this machine (0 when it runs elsewhere)."""
    total = 0.0
    for pid, _ in _processes():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (every process, the kernel's work for them too)."""
    return machine_busy()[0] / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)
