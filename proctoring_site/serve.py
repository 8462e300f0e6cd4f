"""``make run``: the ASGI server (daphne) and one django-q2 cluster, started and stopped together.

Each child runs in its own session, so Ctrl-C in the terminal (SIGINT to the foreground process
group) reaches only ``make`` and this process, never the cluster's workers directly: a worker
killed by a signal in the middle of a task is how analysis used to be lost, and a second signal
to django-q2's cluster re-enters its handler (RecursionError). On the first SIGINT or SIGTERM
this process asks each child, once, to stop (SIGTERM to the child itself): daphne closes its
connections, the cluster stops pulling tasks and finishes the ones it holds. A child still
running after ``RUN_STOP_TIMEOUT_S`` (or a second Ctrl-C) has its whole process group killed;
the items it held keep their leases and the analysis sweep delivers them again.

Exit status: 0 after a requested stop with both children stopped cleanly, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.2


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], stop_timeout: float) -> None:
        self.commands = commands
        self.stop_timeout = stop_timeout
        self.children: dict[str, subprocess.Popen] = {}
        self.signals_received = 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only count here; the main loop acts, so a burst of signals never re-enters anything.
        self.signals_received += 1

    def _say(self, message: str) -> None:
        print(f"serve: {message}", file=sys.stderr, flush=True)

    def _kill_group(self, name: str, child: subprocess.Popen) -> None:
        if child.poll() is None:
            self._say(f"{name} did not stop; killing it (its unfinished items will be redelivered)")
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            child.wait()

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for name, command in self.commands.items():
            self.children[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
                command, cwd=ROOT, start_new_session=True
            )
            self._say(f"{name} started (pid {self.children[name].pid})")
        while not self.signals_received:
            exited = [name for name, child in self.children.items() if child.poll() is not None]
            if exited:
                self._say(f"{exited[0]} exited on its own ({self.children[exited[0]].returncode})")
                self._stop()
                return 1
            time.sleep(POLL_S)
        self._say("stopping (a task in flight is finished first)")
        return 0 if self._stop() else 1

    def _stop(self) -> bool:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        seen = self.signals_received
        deadline = time.monotonic() + self.stop_timeout
        while any(child.poll() is None for child in self.children.values()):
            if time.monotonic() > deadline or self.signals_received > max(seen, 1):
                for name, child in self.children.items():
                    self._kill_group(name, child)
                return False
            time.sleep(POLL_S)
        clean = all(child.returncode == 0 for child in self.children.values())
        for name, child in self.children.items():
            self._say(f"{name} stopped ({child.returncode})")
        return clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args(argv)
    python = sys.executable
    commands = {
        "worker": [python, "manage.py", "qcluster"],
        "server": [
            python,
            "-m",
            "daphne",
            "--access-log",
            "/dev/null",
            "-b",
            args.host,
            "-p",
            str(args.port),
            "proctoring_site.asgi:application",
        ],
    }
    stop_timeout = float(os.environ.get("RUN_STOP_TIMEOUT_S", "120"))
    return Supervisor(commands, stop_timeout).run()


if __name__ == "__main__":
    sys.exit(main())
