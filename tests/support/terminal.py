"""A real terminal for tests: a tmux session driven with send-keys and read with capture-pane."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class Terminal:
    """One tmux session on its own server socket."""

    def __init__(self, socket: Path) -> None:
        self.base = ["tmux", "-S", str(socket)]

    def start(self, script: Path) -> None:
        subprocess.run(
            [*self.base, "new-session", "-d", "-x", "150", "-y", "40", "sh", str(script)],
            check=True,
        )

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "0", *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "0", "-S", "-100"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            assert time.monotonic() < deadline, f"never saw {what}:\n{screen}"
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)
