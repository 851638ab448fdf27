"""The rendered help of every command: defaults and environment variables shown, readable
metavars, and examples that parse (issue 14, items 1-3).

Read as a user reads it: ``voxcli ... --help`` rendered by Typer and rich, wide enough that no
note wraps.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from voxcli.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


def command_paths() -> Iterator[list[str]]:
    """Every command and group of the app, as the words after ``voxcli``."""

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:  # e.g. `batch run`, reached as `voxcli batch`
                yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


PATHS = list(command_paths())


def rendered_help(path: list[str]) -> str:
    result = runner.invoke(app, [*path, "--help"], env=WIDE, prog_name="voxcli")
    assert result.exit_code == 0, result.output
    return result.stdout


def row(help_text: str, option: str) -> str:
    """The help table row of `option` (one line: the terminal is wide)."""
    pattern = rf"│\s+{re.escape(option)}(?![\w-])"
    return next(line for line in help_text.splitlines() if re.search(pattern, line))


def test_convert_help_shows_every_default_and_environment_variable() -> None:
    text = rendered_help(["convert"])
    expected = {
        "--voice": ["[env var: VOXCLI_VOICE]", "[default: sally on the local engine]"],
        "--model": ["[default: eleven_multilingual_sts_v2]"],
        "--output-format": ["[default: from -o's extension, else mp3_44100_128]"],
        "--backend": ["[env var: VOXCLI_BACKEND]", "[default: elevenlabs with an API key"],
        "--base-url": ["[env var: VOXCLI_BASE_URL]", "[default: https://api.elevenlabs.io]"],
        "--retries": ["[default: 5]"],
        "--jobs": ["[default: auto]"],
        "--overwrite": ["[default: refuse, exit 4]"],
        "--output": ["[default: <stem>.<voice>.<ext> beside the input]"],
        "--max-section": ["[default: 290]"],
    }
    for option, notes in expected.items():
        line = row(text, option)
        for note in notes:
            assert note in line, f"{option}: {line!r}"
    # What the brackets being eaten left behind: a lone full stop after the help text.
    assert not re.search(r"\w \.\s", text)


def test_settings_are_shown_with_their_variable_but_never_read_by_typer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # config.load reads the environment (so a bad value is reported as coming from there,
    # exit 3); were Typer reading it too, it would arrive as a flag (exit 4).
    monkeypatch.setenv("VOXCLI_BACKEND", "nope")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 3, result.output
    assert "$VOXCLI_BACKEND" in result.stderr


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "voxcli")
def test_metavars_are_readable(path: list[str]) -> None:
    text = rendered_help(path)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "<" not in usage, usage
    # Typer's default type names: <bool> on every flag, <str>, <int>, <list[Path]> ...
    assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\])>", text), text


def test_flags_show_no_metavar_and_values_a_readable_one() -> None:
    text = rendered_help(["convert"])
    assert re.search(r"Usage: voxcli convert \[OPTIONS\] FILE\s*$", text, re.M)
    assert re.search(r"--dry-run\s{2,}Print the section plan", row(text, "--dry-run"))
    assert re.search(r"--jobs\s+-j\s+auto\|N\s", row(text, "--jobs"))
    assert re.search(r"--voice\s+-v\s+VOICE\s", row(text, "--voice"))
    assert "NAME SAMPLE..." in rendered_help(["voices", "add"])


def examples(text: str) -> list[str]:
    """The example command lines at the end of a help page."""
    return [m[1] for m in re.finditer(r"^\s*\$ (.+?)\s*$", text.split("Examples")[-1], re.M)]


def invocations(line: str) -> Iterator[list[str]]:
    """The voxcli command lines in a shell line (pipelines and ``$(...)`` included), without
    their redirections."""
    for inner in re.findall(r"\$\((voxcli [^)]*)\)", line):
        yield shlex.split(inner)
    outer = re.sub(r"\$\([^)]*\)", "SUBST", line)
    for segment in re.split(r"\s\|\s|\s;\s|&&", outer):
        words = shlex.split(segment)
        if words and words[0] == "voxcli":
            cut = [i for i, word in enumerate(words) if word.lstrip("012")[:1] in ("<", ">")]
            yield words[: cut[0] if cut else len(words)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "voxcli")
def test_every_command_ends_with_real_examples(path: list[str]) -> None:
    text = rendered_help(path)
    lines = examples(text)
    assert 2 <= len(lines) <= 3, f"{path}: {lines}"
    words = " ".join(path)
    about = [argv for line in lines for argv in invocations(line)]
    assert any(" ".join(argv[1:]).startswith(words) for argv in about), (
        f"no example of voxcli {words}: {lines}"
    )
    for line in lines:
        for argv in invocations(line):
            # Parsing stops at --help, after every option was matched: an unknown option or a
            # command that does not exist fails here.
            checked = runner.invoke(app, [*argv[1:], "--help"], env=WIDE, prog_name="voxcli")
            assert checked.exit_code == 0, f"{line!r}: {checked.output}"
