"""What `voxcli record` does once Typer has parsed the arguments.

Everything that can fail for free (bad values, an existing output, a missing or busy device)
fails before anything is recorded. A take stops on Enter (stdin a terminal), Ctrl-C,
`--duration` or the 5-minute limit; then the summary and advice follow and, on a terminal,
the keep / play / redo / discard prompt (`voxcli.audio.takes` keeps every take on disk until
one is kept).
"""

from __future__ import annotations

import select
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from voxcli.cli._console import err, notice, out, print_error, print_json
from voxcli.errors import InputError, Terminated, VoxError

if TYPE_CHECKING:
    from voxcli.audio.devices import Device
    from voxcli.audio.levels import Summary
    from voxcli.audio.takes import Takes
    from voxcli.cli._convert_run import ConvertArgs
    from voxcli.cli._record_convert import TakeConversion
    from voxcli.config import Config


@dataclass(frozen=True)
class RecordArgs:
    """The parsed command line of `voxcli record`."""

    output: str | None
    duration: float | None
    device: str | None
    output_device: str | None
    channels: int | None
    countdown: int
    play: bool
    overwrite: bool
    json_output: bool
    quiet: bool
    convert: ConvertArgs | None = None
    """The conversion flags with --convert (the take is the input), else None."""
    play_result: bool = False


@dataclass
class Take:
    """One recorded take and how it ended."""

    path: Path
    summary: Summary
    stopped_by: str
    overflows: int


def default_output() -> str:
    """``take-YYYYmmdd-HHMMSS.wav`` in the current folder: a new name for every run."""
    return f"take-{datetime.now():%Y%m%d-%H%M%S}.wav"


def run_record(a: RecordArgs) -> None:
    """Check, record, advise, prompt; print the kept take's path (or `--json`)."""
    from voxcli import config as cfg
    from voxcli.audio.devices import find_device
    from voxcli.audio.takes import Takes, check_target

    _check_values(a)
    enter_stops = sys.stdin.isatty()
    if not enter_stops and a.duration is None:
        raise InputError(
            "stdin is not a terminal, so nothing could stop the take",
            hint="give --duration SECONDS (Ctrl-C and SIGTERM also stop it)",
        )
    target = Path(a.output or default_output())
    check_target(target, overwrite=a.overwrite)
    conf = cfg.load(_flags(a))
    device = find_device(conf["input_device"], "input", origin=conf.origin("input_device"))
    if a.play or a.play_result:  # a missing output device fails before recording, not after
        find_device(conf["output_device"], "output", origin=conf.origin("output_device"))
    conversion: AbstractContextManager[Any] = nullcontext()
    if a.convert is not None:
        from voxcli.audio.devices import DeviceChoice
        from voxcli.cli._record_convert import TakeConversion

        playing = DeviceChoice(conf["output_device"], conf.origin("output_device"))
        conversion = TakeConversion(
            a.convert, conf, target, play=playing if a.play_result else None
        )
    with conversion as converting:
        _record_and_keep(a, conf, device, Takes(target, overwrite=a.overwrite), converting)


def _flags(a: RecordArgs) -> dict[str, object | None]:
    flags: dict[str, object | None] = {
        "input_device": a.device,
        "output_device": a.output_device,
    }
    if a.convert is not None:
        from voxcli.cli._convert_flags import config_flags

        flags |= config_flags(a.convert, jobs=a.convert.jobs)
    return flags


def _record_and_keep(
    a: RecordArgs, conf: Config, device: Device, takes: Takes, conversion: TakeConversion | None
) -> None:
    enter_stops = sys.stdin.isatty()
    try:
        history = [_record(a, device, takes, enter_stops=enter_stops)]
    except Terminated:
        _left_behind(takes)
        raise
    if not (enter_stops and err.is_terminal and not a.json_output):
        _show(a, history[-1])
        _finish(a, conf, takes.keep(), history[-1], device, conversion, play_take=a.play)
        return
    try:
        kept = _prompt_loop(a, conf, device, takes, history, enter_stops=enter_stops)
    except (KeyboardInterrupt, Terminated):
        _left_behind(takes)
        raise
    if kept is not None:
        _finish(a, conf, kept, history[-1], device, conversion, play_take=False)


def _left_behind(takes: Takes) -> None:
    """Say where the takes are when the run ends without keeping one (Ctrl-C, SIGTERM)."""
    if takes.left_behind():
        shown = ", ".join(str(p) for p in takes.left_behind())
        notice(f"nothing was kept; the takes recorded so far are on disk: {shown}")


def _check_values(a: RecordArgs) -> None:
    from voxcli.audio.record import MAX_TAKE_SECONDS

    if a.duration is not None and a.duration <= 0:
        raise InputError(f"--duration must be more than 0 seconds, not {a.duration:g}")
    if a.duration is not None and a.duration > MAX_TAKE_SECONDS and a.convert is None:
        raise InputError(
            f"--duration is at most {MAX_TAKE_SECONDS:.0f} seconds, not {a.duration:g}",
            hint="the service takes at most 5 minutes per request: record several takes, "
            "or add --convert (longer takes are split at pauses)",
        )
    if a.play_result and a.convert is None:
        raise InputError("--play-result plays the converted take", hint="add --convert --voice V")
    if a.output_device is not None and not (a.play or a.play_result or sys.stdin.isatty()):
        raise InputError(
            "--output-device is for --play or --play-result (or the prompt's play)",
            hint="add --play, or leave --output-device out",
        )
    if not 0 <= a.countdown <= 60:
        raise InputError(f"--countdown must be from 0 to 60 seconds, not {a.countdown}")
    if a.channels is not None and a.channels < 1:
        raise InputError(f"--channels must be at least 1, not {a.channels}")


def _prompt_loop(
    a: RecordArgs,
    conf: Config,
    device: Device,
    takes: Takes,
    history: list[Take],
    *,
    enter_stops: bool,
) -> Path | None:
    """Keep / play / redo / discard until a take is kept (its path) or none is left (None)."""
    show = True
    while True:
        take = history[-1]
        if show:
            _show(a, take)
            if a.play:
                _play(take.path, conf, a)
        show = True
        choice = _ask()
        if choice == "keep":
            return takes.keep()
        if choice == "play":
            _play(take.path, conf, a)
            show = False
        elif choice == "redo":
            history.append(_record(a, device, takes, enter_stops=enter_stops))
        else:
            takes.discard()
            history.pop()
            if not history:
                notice("take discarded; nothing was written")
                if a.json_output:
                    print_json({"output": None, "discarded": True})
                return None
            notice(f"new take discarded; back to the previous take in {history[-1].path}")


def _ask() -> str:
    """Read one choice from the terminal; Enter alone (or end of input) keeps the take."""
    choices = {"k": "keep", "p": "play", "r": "redo", "d": "discard"}
    while True:
        try:
            answer = err.input(escape("[k]eep, [p]lay, [r]edo or [d]iscard? [k] ")).strip()
        except EOFError:
            return "keep"
        answer = answer.lower()
        if not answer:
            return "keep"
        for key, choice in choices.items():
            if answer in (key, choice):
                return choice
        err.print("answer k, p, r or d")


def _record(a: RecordArgs, device: Device, takes: Takes, *, enter_stops: bool) -> Take:
    """Record one take into a new file from `takes` and return it, summarised."""
    from voxcli.audio.record import MAX_TAKE_SECONDS, Recording

    limit = None if a.convert is not None else MAX_TAKE_SECONDS  # --convert splits long takes
    rec = Recording(device, channels=a.channels, max_seconds=a.duration or limit)
    rec.open()
    meter = err.is_terminal and not a.quiet
    _countdown(a.countdown, meter=meter, quiet=a.quiet)
    path, file = takes.new()
    try:
        rec.start(file)
    except BaseException:
        takes.discard()
        raise
    if not a.quiet:
        how = "press Enter or Ctrl-C to stop" if enter_stops else f"for {a.duration:g} s"
        notice(f"recording {device.label()} at {rec.rate} Hz into {path}; {how}")
    try:
        stopped_by = _wait(rec, a, meter=meter, enter_stops=enter_stops)
    except KeyboardInterrupt:
        stopped_by = "ctrl-c"
    except BaseException:
        rec.stop()
        raise
    finally:
        if meter:
            from voxcli.cli._meter import end_meter

            end_meter()
    summary = rec.stop()
    if stopped_by == "limit" and not a.quiet:
        notice(
            f"stopped at the {MAX_TAKE_SECONDS / 60:.0f}-minute limit of one take "
            "(the most the service converts in one request)"
        )
    if rec.overflows and not a.quiet:
        notice(f"{rec.overflows} block(s) of audio were lost: the computer was too busy")
    return Take(path, summary, stopped_by, rec.overflows)


def _countdown(seconds: int, *, meter: bool, quiet: bool) -> None:
    if not seconds:
        return
    if not meter:
        if not quiet:
            notice(f"recording starts in {seconds} s")
        time.sleep(seconds)
        return
    for left in range(seconds, 0, -1):
        sys.stderr.write(f"\rrecording in {left}...\x1b[K")
        sys.stderr.flush()
        time.sleep(1)
    sys.stderr.write("\r\x1b[K")


def _wait(rec: Any, a: RecordArgs, *, meter: bool, enter_stops: bool) -> str:
    """Wait for Enter, the duration or the limit, redrawing the meter ~10 times a second."""
    from voxcli.audio.record import MAX_TAKE_SECONDS
    from voxcli.cli._meter import draw_meter

    shown_limit = a.duration or (None if a.convert is not None else MAX_TAKE_SECONDS)
    while not rec.finished.is_set():
        if meter:
            draw_meter(rec.level(), shown_limit)
        if enter_stops:
            if select.select([sys.stdin], [], [], 0.1)[0]:
                sys.stdin.readline()
                return "enter"
        else:
            rec.finished.wait(0.1)
    if meter:
        draw_meter(rec.level(), shown_limit)
    return "duration" if a.duration is not None else "limit"


def _show(a: RecordArgs, take: Take) -> None:
    if not a.quiet and not a.json_output:
        from voxcli.cli._meter import print_summary

        print_summary(take.summary, str(take.path))


def _play(path: Path, conf: Config, a: RecordArgs, *, stop_on_error: bool = False) -> None:
    """Play a take; at the prompt a failure or Ctrl-C only ends the playback."""
    from voxcli.audio.playback import play_file

    try:
        play_file(path, conf["output_device"], origin=conf.origin("output_device"))
    except VoxError as exc:
        if stop_on_error:
            raise
        print_error(exc)
    except KeyboardInterrupt:
        if stop_on_error:
            raise
        notice("playback stopped")


def _finish(
    a: RecordArgs,
    conf: Config,
    path: Path,
    take: Take,
    device: Device,
    conversion: TakeConversion | None,
    *,
    play_take: bool,
) -> None:
    """Report the kept take, convert it (--convert), play what was asked for."""
    outcome = (
        None if conversion is None else conversion.convert(path, take.summary.duration_seconds)
    )
    if a.json_output:
        data = {"output": str(path), **take.summary.to_json()}
        data |= {"stopped_by": take.stopped_by, "overflows": take.overflows}
        data["device"] = device.to_json()
        if outcome is not None:
            data["conversion"] = outcome.to_json()
        print_json(data)
    else:
        out.print(str(path))
        if outcome is not None and outcome.shown is not None:
            out.print(outcome.shown)
    if play_take:
        _play(path, conf, a, stop_on_error=True)
