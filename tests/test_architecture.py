"""Structural rules that keep voxcli's layers honest (DESIGN §1, STYLE §2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import voxcli

PACKAGE = Path(voxcli.__file__).parent
HEAVY = ("numpy", "soundfile", "sounddevice", "httpx", "scipy", "pyworld", "soxr", "av")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_cli_imports_typer_or_rich() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "cli" not in path.relative_to(PACKAGE).parts[:1]
        and imported_modules(path) & {"typer", "rich", "click"}
    ]
    assert offenders == []


def test_nothing_imports_click_directly() -> None:
    # Typer >= 0.27 vendors Click; importing the separate package would be an undeclared dependency.
    assert [p for p in PACKAGE.rglob("*.py") if "click" in imported_modules(p)] == []


def test_help_does_not_load_audio_or_http_libraries() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['voxcli', '--help']\n"
        "from voxcli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert "convert" in done.stdout
