"""Run voxcli in a child process that takes Ctrl-C the way a terminal delivers it.

A non-interactive shell starts background jobs (``cmd &``, ``nohup cmd &``) with SIGINT
ignored, children inherit that, and Python keeps an ignored SIGINT ignored instead of raising
KeyboardInterrupt. Tests that send SIGINT would then wait for a process that never hears it
whenever the suite itself runs in the background, so they start voxcli through this launcher.
"""

from __future__ import annotations

import sys

_LAUNCHER = (
    "import runpy, signal, sys; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'voxcli'; "
    "runpy.run_module('voxcli', run_name='__main__', alter_sys=True)"
)


def voxcli_command(*args: str) -> list[str]:
    """The argv of ``python -m voxcli ARGS`` with SIGINT's default Python handler restored."""
    return [sys.executable, "-c", _LAUNCHER, *args]
