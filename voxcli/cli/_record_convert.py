"""`voxcli record --convert`: the kept take goes through the same core function as `convert`.

The backend, the voice and the converted output's name are settled before recording, so an
unknown voice or an existing output fails before anyone speaks. Once a take is kept, the
estimated credits are printed (ElevenLabs only: the local engine costs none), then
`voxcli.convert.run.run_conversion` converts it, exactly as `voxcli convert TAKE` would.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcli.cli._console import RichReporter, notice
from voxcli.errors import OutputExistsError

if TYPE_CHECKING:
    from voxcli.audio.devices import DeviceChoice
    from voxcli.backends.base import Backend
    from voxcli.cli._convert_run import ConvertArgs
    from voxcli.config import Config
    from voxcli.convert.job import ConvertJob
    from voxcli.convert.run import ConvertOutcome, Target


class TakeConversion(AbstractContextManager["TakeConversion"]):
    """The conversion a take will get: backend open, voice resolved, output checked."""

    def __init__(
        self, args: ConvertArgs, conf: Config, take: Path, *, play: DeviceChoice | None
    ) -> None:
        from voxcli.audio.output import Existing
        from voxcli.cli._backend import open_backend
        from voxcli.cli._convert_flags import conversion_settings
        from voxcli.convert.job import ConvertJob
        from voxcli.convert.run import output_path, output_plan, resolve_target

        self.reporter = RichReporter(quiet=args.quiet)
        existing = {True: Existing.OVERWRITE, False: Existing.SKIP, None: Existing.REFUSE}
        settings = conversion_settings(
            args, conf, existing=existing[args.overwrite], stream=args.stream
        )
        settings.check()
        self.job: ConvertJob = ConvertJob(str(take), None, settings)
        plan = output_plan(self.job)
        self._play = play
        self.backend: Backend
        self.backend, _ = open_backend(
            conf=conf, reporter=self.reporter, quality=args.quality, strength=args.strength
        )
        try:
            self.target: Target = resolve_target(settings, self.backend)
            self.output = output_path(self.job, self.target.voice.name, plan)
            if play is not None:  # played as it arrives, by the same player as convert --play
                self.job = replace(self.job, output=str(self.output), play=True, output_device=play)
            if self.output is not None and self.output.exists() and args.overwrite is not True:
                raise OutputExistsError(
                    f"{self.output} (the converted take) exists",
                    hint="pass --overwrite (-y) to replace it, or choose another -o",
                )
        except BaseException:
            self.backend.close()
            raise

    def convert(self, take: Path, duration_seconds: float) -> ConvertOutcome:
        """Convert the kept take, after saying what it will cost."""
        from voxcli.convert.dryrun import estimate_credits
        from voxcli.convert.run import run_conversion

        if self.backend.name == "elevenlabs" and not self.reporter.quiet:
            credits = estimate_credits(duration_seconds)
            notice(
                f"converting {duration_seconds:.1f} s to {self.target.voice.name}: "
                f"estimated {credits:,} credits (1,000 per minute)"
            )
        return run_conversion(self.job, self.backend, target=self.target, reporter=self.reporter)

    def __exit__(self, *exc: Any) -> None:
        self.backend.close()
