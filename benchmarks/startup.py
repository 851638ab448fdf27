"""Start-up cost of `voxcli --help` against a bare Typer app with the same commands, and of
completing a word (what a shell runs at each Tab) against `voxcli --help`.

Prints the median wall time of each, measured alternately in one run, and two ratios:

- voxcli --help / bare Typer --help, goal at most 1.25 (voxcli adds at most a quarter on top
  of Typer itself: heavy libraries such as numpy, soundfile, sounddevice and httpx stay out of
  the start-up path);
- completing `--voice` / voxcli --help, goal at most 1.25 (completion reads voices from disk:
  the local voices' files and the cached ElevenLabs list, never the engine or the network).

    python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer

from voxcli.cli import app


def bare_app_source(root: typer.Typer) -> str:
    """Python source of a Typer app with the same command tree and help texts, and nothing else."""
    # The same Typer settings as voxcli's root app, so only voxcli's own cost differs.
    lines = [
        "import typer",
        "app = typer.Typer(no_args_is_help=True, rich_markup_mode='rich', "
        "context_settings={'help_option_names': ['-h', '--help']})",
    ]

    def emit(group: typer.Typer, var: str, prefix: str) -> None:
        for info in group.registered_commands:
            name = info.name or info.callback.__name__  # type: ignore[union-attr]
            doc = (info.callback.__doc__ or "").strip().splitlines()  # type: ignore[union-attr]
            fn = f"{prefix}_{name.replace('-', '_')}"
            lines.append(f"@{var}.command({name!r})")
            lines.append(f"def {fn}() -> None:\n    {(doc[0] if doc else name)!r}")
        for sub in group.registered_groups:
            sub_var = f"{prefix}_{sub.name}"
            lines.append(f"{sub_var} = typer.Typer(help={sub.typer_instance.info.help!r})")
            lines.append(f"{var}.add_typer({sub_var}, name={sub.name!r})")
            emit(sub.typer_instance, sub_var, sub_var)

    emit(root, "app", "cmd")
    lines.append("app()")
    return "\n".join(lines) + "\n"


#: Bash's completion variables for ``voxcli convert talk.wav --voice <Tab>``.
COMPLETING_VOICE = {
    "_VOXCLI_COMPLETE": "complete_bash",
    "COMP_WORDS": "voxcli convert talk.wav --voice ",
    "COMP_CWORD": "4",
}


#: What a user's shell has: Python writes and reuses bytecode. NOTE: some sandboxes set
#: PYTHONDONTWRITEBYTECODE, which recompiles voxcli's modules on every start (site-packages,
#: typer's included, were compiled when installed), a cost no user pays after the first run.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**BASE_ENV, **(env or {})},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    voxcli = shutil.which("voxcli")
    if voxcli is None:
        sys.exit("voxcli is not on PATH: pip install . first")
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(bare_app_source(app))
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "voxcli --help": ([voxcli, "--help"], None),
            "bare typer --help": ([sys.executable, str(bare), "--help"], None),
            "completing --voice": ([voxcli], COMPLETING_VOICE),
        }
        for argv, env in commands.values():  # warm the OS file cache and .pyc files
            timed(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, env) in commands.items():
                samples[name].append(timed(argv, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in medians.items():
        print(f"{name:20s} median {value * 1000:7.1f} ms over {args.runs} runs")
    ratio = medians["voxcli --help"] / medians["bare typer --help"]
    print(f"ratio voxcli / bare  {ratio:.2f}  (goal <= 1.25)")
    ratio = medians["completing --voice"] / medians["voxcli --help"]
    print(f"ratio completing / voxcli --help  {ratio:.2f}  (goal <= 1.25)")


if __name__ == "__main__":
    main()
