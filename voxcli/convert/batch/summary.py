"""What a batch did, counted: for the end of a run, `--json`, a Markdown table for CI, and
`voxcli batch report`, which merges the manifests of several shards.

The exit status follows from the counts (DESIGN §4): 0 when every file is done or skipped,
9 when any failed (or never finished), 7 when the quota or the credit budget stopped the
run, 3 when authentication did; a bug in one file (exit class 1) wins, since it needs a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxcli.convert.batch.manifest import Record, latest, read_records
from voxcli.convert.batch.work import FileResult
from voxcli.errors import ExitStatus, InputError

#: Rows of the per-file Markdown table; a CI summary page is not a log.
MARKDOWN_ROWS = 200


@dataclass
class Summary:
    """Counts and per-file rows (`files`: plain dicts, as in the manifest)."""

    files: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    stop_status: int | None = None
    wall_seconds: float | None = None

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f["status"] == status)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Failed files, and files that started but never ended (an interrupted run)."""
        return [f for f in self.files if f["status"] in ("failed", "started")]

    @property
    def credits(self) -> int:
        return sum(int(f.get("credits") or 0) for f in self.files)

    @property
    def audio_seconds(self) -> float:
        return sum(float(f.get("duration") or 0.0) for f in self.files if f["status"] == "done")

    def exit_status(self) -> ExitStatus:
        classes = {int((f.get("error") or {}).get("exit") or 0) for f in self.failed}
        if ExitStatus.ERROR in classes:
            return ExitStatus.ERROR
        if self.stop_status in (ExitStatus.CONFIG, ExitStatus.QUOTA):
            return ExitStatus(self.stop_status)
        return ExitStatus.PARTIAL if self.failed else ExitStatus.SUCCESS

    def counts(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": len(self.failed),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "credits": self.credits,
            "audio_seconds": round(self.audio_seconds, 3),
            "wall_seconds": None if self.wall_seconds is None else round(self.wall_seconds, 3),
            "stopped": self.stopped,
            "exit_status": int(self.exit_status()),
            "results": self.files,
        }

    def markdown(self, title: str = "voxcli batch") -> str:
        """A GitHub-flavoured Markdown summary (for ``$GITHUB_STEP_SUMMARY``)."""
        c = self.counts()
        lines = [
            f"### {title}",
            "",
            "| files | done | skipped | failed | audio | credits |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {c['files']} | {c['done']} | {c['skipped']} | {c['failed']} "
            f"| {self.audio_seconds / 60:.1f} min | {self.credits:,} |",
        ]
        if self.stopped:
            lines += ["", f"Stopped early: {_cell(self.stopped)}."]
        shown = self.failed + [f for f in self.files if f not in self.failed]
        if shown:
            lines += ["", "| file | status | detail |", "|---|---|---|"]
            for row in shown[:MARKDOWN_ROWS]:
                name, detail = _cell(row["output"]), _cell(_detail(row))
                lines.append(f"| `{name}` | {row['status']} | {detail} |")
            if len(shown) > MARKDOWN_ROWS:
                lines.append(f"| ... | | {len(shown) - MARKDOWN_ROWS} more in the manifest |")
        return "\n".join(lines) + "\n"


def _detail(row: Mapping[str, Any]) -> str:
    error = row.get("error")
    if error:
        return str(error.get("message", ""))
    if row["status"] == "started":
        return "interrupted: never finished"
    if row.get("reason") and row["status"] == "skipped":
        return str(row["reason"])
    return f"{float(row.get('duration') or 0):.1f} s" if row["status"] == "done" else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def from_results(results: Iterable[FileResult], *, shard: str | None) -> Summary:
    """The summary of one run's results."""
    return Summary([result.record(shard) for result in results])


def from_manifests(paths: Sequence[Path]) -> Summary:
    """Merge shards' manifests: each output's latest record counts (`batch report`)."""
    for path in paths:
        if not path.is_file():
            raise InputError(f"manifest {path} not found", hint="check the path")
    records: list[Record] = sorted(read_records(paths), key=lambda r: str(r.get("at", "")))
    rows = sorted(latest(records).values(), key=lambda r: r["output"])
    return Summary([dict(r) for r in rows])


def skipped_row(key: str, source: Path, reason: str) -> dict[str, Any]:
    """A summary row for a file this run skipped without converting."""
    return FileResult(key, str(source), key, "skipped", reason=reason).record(None)
