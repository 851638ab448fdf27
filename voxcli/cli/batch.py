"""`voxcli batch`: convert whole folders; `voxcli batch report`: merge shards' manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voxcli.cli import _options as opt
from voxcli.cli._command import Command, Group, command
from voxcli.cli._console import reported_errors
from voxcli.cli._help import described, examples

BATCH = "Batch"


class _DefaultToRun(Group):
    """``voxcli batch INPUT...`` runs a batch; ``voxcli batch report ...`` is the subcommand.

    Any first argument other than ``report`` (an input, an option, ``--help``) goes to the
    hidden ``run`` command, as click-default-group does.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or args[0] != "report":
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        # Usage lines read "voxcli batch [OPTIONS] INPUT...", not "voxcli batch run ...".
        return ("" if name == "run" else name), command, rest


class _RunCommand(Command):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path.rstrip(), " ".join(pieces))


EXAMPLES = (
    ("voxcli batch recordings -r -o converted -v Rachel", "Mirror recordings/ under converted/"),
    (
        "find . -name '*.flac' | voxcli batch --input-list - -o out -v Rachel --dry-run",
        "What a list of files would cost, sending nothing",
    ),
    ("voxcli batch report converted/.voxcli-manifest*.jsonl", "Merge the shards' manifests"),
)

app = typer.Typer(
    cls=_DefaultToRun,
    help="Convert whole folders: resumable, shardable, with honest exit codes.",
    epilog=examples(*EXAMPLES),
    no_args_is_help=False,
)

Jobs = Annotated[
    str,
    typer.Option(
        "--jobs",
        "-j",
        metavar="auto|N",
        help="Requests at once (ElevenLabs: auto follows the account's limit; N is a ceiling) "
        "or worker processes (local: auto is one per core).",
        rich_help_panel=BATCH,
    ),
]


# `voxcli batch --help` is this command's help (see _DefaultToRun).
@app.command("run", cls=_RunCommand, hidden=True, no_args_is_help=True, epilog=examples(*EXAMPLES))
def run(
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            metavar="OUT_DIR",
            help="Folder for the outputs; the input tree is mirrored under it.",
            rich_help_panel=BATCH,
        ),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT",
            help="Audio files, folders, or quoted glob patterns ('talks/**/*.wav').",
            show_default=False,
        ),
    ] = None,
    input_list: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Also convert the paths listed in FILE, one per line (- reads stdin).",
            rich_help_panel=BATCH,
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Go into subfolders.", rich_help_panel=BATCH)
    ] = False,
    include: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATTERN",
            help="Only files matching PATTERN (replaces the audio-extension filter; repeatable).",
            rich_help_panel=BATCH,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATTERN",
            help="Skip files matching PATTERN (repeatable).",
            rich_help_panel=BATCH,
        ),
    ] = None,
    ext: Annotated[
        str | None,
        typer.Option(
            "--ext",
            metavar="EXT",
            help=described(
                "Output extension (mp3, wav, flac, ogg, ...), which picks the format as -o does "
                "for convert.",
                default="from -f, else mp3",
            ),
            rich_help_panel=opt.OUTPUT,
        ),
    ] = None,
    voice: opt.Voice = None,
    model: opt.Model = None,
    output_format: opt.OutputFormatOpt = None,
    seed: opt.Seed = None,
    latency: opt.Latency = None,
    input_format: opt.InputFormatOpt = opt.InputFormat.auto,
    settings: opt.Settings = None,
    expressive: opt.Expressive = False,
    stability: opt.Stability = None,
    similarity_boost: opt.SimilarityBoost = None,
    style: opt.Style = None,
    speaker_boost: opt.SpeakerBoost = None,
    speed: opt.Speed = None,
    remove_background_noise: opt.RemoveNoise = False,
    no_logging: opt.NoLogging = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    retries: opt.Retries = None,
    jobs: Jobs = "auto",
    max_section: opt.MaxSection = 290.0,
    no_cache: opt.NoCache = False,
    quality: opt.QualityOpt = opt.Quality.default,
    strength: opt.Strength = None,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing",
            help="Skip files already converted with these settings (the default).",
            rich_help_panel=BATCH,
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            "-y",
            help="Convert every file again, replacing outputs.",
            rich_help_panel=BATCH,
        ),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Convert only the files that failed before.",
            rich_help_panel=BATCH,
        ),
    ] = False,
    manifest: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help=described("The manifest to append to.", default="OUT_DIR/.voxcli-manifest.jsonl"),
            rich_help_panel=BATCH,
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="K/N|auto",
            help="Only this machine's 1/N of the files (auto: from GitLab, CircleCI or "
            "Buildkite variables).",
            rich_help_panel=BATCH,
        ),
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failure.", rich_help_panel=BATCH)
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="List what would be converted or skipped, and the "
            "estimated credits; send nothing.",
            rich_help_panel=BATCH,
        ),
    ] = False,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Start even if the credits left do not cover every file; convert what fits.",
            rich_help_panel=BATCH,
        ),
    ] = False,
    max_credits: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Spend at most N credits in this run.", rich_help_panel=BATCH
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON summary object on stdout.", rich_help_panel=opt.OUTPUT
        ),
    ] = False,
    quiet: opt.Quiet = False,
) -> None:
    """Convert many files: folders, globs and lists, mirrored under OUT_DIR.

    A rerun skips what is done; a killed run resumes without paying twice.
    --shard splits the files across CI machines; voxcli batch report merges their manifests.
    Exit 0: every file done or skipped; 9: some failed (each listed); 7: quota or budget.
    """
    from voxcli.cli._batch_run import BatchArgs, run_batch

    args = BatchArgs(**{k: v for k, v in locals().items() if k in BatchArgs.__dataclass_fields__})
    with reported_errors():
        run_batch(args)


@command(
    app,
    "report",
    ("voxcli batch report converted/.voxcli-manifest*.jsonl", "One summary of every shard"),
    (
        'voxcli batch report out/.voxcli-manifest*.jsonl --markdown >> "$GITHUB_STEP_SUMMARY"',
        "A Markdown table for a CI job's summary",
    ),
)
def report(
    manifests: Annotated[
        list[Path],
        typer.Argument(
            metavar="MANIFEST",
            help="Manifests (.jsonl) of one or more runs.",
            show_default=False,
        ),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary object on stdout.")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown table (for CI summaries).")
    ] = False,
) -> None:
    """Merge the manifests of several runs or shards into one summary (exit 9 if any failed)."""
    from voxcli.cli._batch_run import run_report

    with reported_errors():
        run_report(manifests, json_output=json_output, markdown=markdown)
