"""Which files a batch converts, and where each one's output goes under OUT_DIR.

Inputs, and the relative path each output mirrors (its extension then becomes the output
format's):

- a folder: every audio file in it (with `recursive`, in its subfolders too), relative to the
  folder, as ``rsync folder/ out/`` would mirror it;
- a glob pattern (quoted, so voxcli expands it; ``**`` crosses folders): the matches, relative
  to the pattern's folder part (``talks/**/*.wav`` -> ``2024/a.wav``);
- a file named as an argument: taken as it is, whatever its extension, under its own name;
- a line of `--input-list` (``-`` for stdin, one path per line): like a file found in a
  folder, relative to the current folder when it lies inside it (so ``find . -name '*.wav' |
  voxcli batch --input-list - -o out`` mirrors the tree, as ``cpio -p`` would), else its name.

Folders, globs and lists take audio extensions only (`voxcli.audio.formats.INPUT_EXTENSIONS`)
unless `include` patterns are given, which replace that filter; `exclude` patterns remove
matches. A pattern with a ``/`` matches the relative path, one without matches the name, as in
rsync. Names starting with ``.`` (hidden files, voxcli's own temporary files) are skipped in
folders.

Everything that would go wrong is an `InputError` before anything is sent: a missing input, a
pattern matching nothing, two inputs mapped to one output, an output escaping OUT_DIR (through
a symlink), OUT_DIR inside an input folder, or an input inside OUT_DIR.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from voxcli.errors import InputError


@dataclass(frozen=True)
class Item:
    """One input file and the relative path its output mirrors."""

    source: Path
    rel: PurePosixPath
    """Relative to OUT_DIR, with the input's own extension (replaced by the output's)."""


@dataclass(frozen=True)
class Filters:
    """Which found files a batch takes."""

    extensions: frozenset[str]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def takes(self, rel: PurePosixPath) -> bool:
        """True when `rel` passes the include (or extension) and exclude filters."""
        if self.include:
            if not any(_matches(pattern, rel) for pattern in self.include):
                return False
        elif rel.suffix.lower() not in self.extensions:
            return False
        return not any(_matches(pattern, rel) for pattern in self.exclude)


def _matches(pattern: str, rel: PurePosixPath) -> bool:
    if "/" in pattern:
        return fnmatchcase(rel.as_posix(), pattern.strip("/"))
    return fnmatchcase(rel.name, pattern)


def discover(
    inputs: Sequence[str],
    *,
    out_dir: Path,
    listed: Iterable[str] = (),
    recursive: bool = False,
    filters: Filters,
) -> list[Item]:
    """Expand `inputs` (files, folders, globs) and `listed` paths into items, sorted by path.

    An input whose scan would reach `out_dir` is refused (its outputs would become inputs on
    the next run): `out_dir` is the input folder itself, or inside it when the scan goes down
    into subfolders (`recursive`, or a glob with a wildcard in a folder part).
    """
    found: list[Item] = []
    root = out_dir.resolve()
    for arg in inputs:
        path = Path(arg)
        if _scans_into(arg, root, recursive=recursive):
            raise InputError(
                f"the output folder {out_dir} is inside the input {arg}",
                hint="choose an -o outside the input folders",
            )
        if path.is_dir():
            found += [i for i in _walk(path, recursive) if filters.takes(i.rel)]
        elif path.exists():
            if path.is_file() or path.is_fifo():
                found.append(Item(path, PurePosixPath(path.name)))
            else:
                raise InputError(f"{arg} is not a file or folder", hint="give audio files")
        elif glob.has_magic(arg):
            found += [i for i in _expand(arg) if filters.takes(i.rel)]
        else:
            raise InputError(f"input {arg} not found", hint="check the path")
    cwd = Path.cwd().resolve()
    for line in listed:
        if line.strip():
            item = _listed(Path(line.rstrip("\r\n")), cwd)
            if filters.takes(item.rel):
                found.append(item)
    return sorted(_unique(found), key=lambda item: item.rel.as_posix())


def _walk(folder: Path, recursive: bool) -> Iterable[Item]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        base = Path(root)
        for name in files:
            if not name.startswith("."):
                path = base / name
                yield Item(path, PurePosixPath(path.relative_to(folder).as_posix()))


def _expand(pattern: str) -> list[Item]:
    matches = [Path(m) for m in glob.glob(pattern, recursive=True) if Path(m).is_file()]
    if not matches:
        raise InputError(
            f"pattern {pattern} matches no files", hint="check the pattern (quote it for voxcli)"
        )
    base = _glob_base(pattern)
    return [Item(m, PurePosixPath(m.relative_to(base).as_posix())) for m in matches]


def _scans_into(arg: str, root: Path, *, recursive: bool) -> bool:
    path = Path(arg)
    if path.is_dir():
        folder, deep = path.resolve(), recursive
    elif not path.exists() and glob.has_magic(arg):
        base = _glob_base(arg)
        folder = base.resolve()
        deep = any(glob.has_magic(part) for part in Path(arg).parts[len(base.parts) : -1])
    else:
        return False
    return root == folder or (deep and folder in root.parents)


def _glob_base(pattern: str) -> Path:
    """The folder part of a glob pattern, before its first wildcard (``.`` if none)."""
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return Path(*parts[:fixed]) if fixed else Path(".")


def _listed(path: Path, cwd: Path) -> Item:
    if not path.exists():
        raise InputError(f"input {path} (from --input-list) not found", hint="check the list")
    if path.is_dir():
        raise InputError(f"{path} (from --input-list) is a folder", hint="list files, one per line")
    absolute = Path(os.path.abspath(path))
    try:
        rel = PurePosixPath(absolute.relative_to(cwd).as_posix())
    except ValueError:
        rel = PurePosixPath(path.name)
    return Item(path, rel)


def _unique(items: list[Item]) -> list[Item]:
    """`items` without repeats of the same file under the same relative path."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for item in items:
        key = (os.path.abspath(item.source), item.rel.as_posix())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def check_layout(items: Sequence[Item], out_dir: Path, outputs: Sequence[Path]) -> None:
    """Refuse layouts that would lose or misplace work, before anything is sent.

    `outputs[i]` is where `items[i]` is written. Two items mapped to one output, an output
    that would land outside `out_dir` (a symlinked folder inside it pointing elsewhere), and an
    input inside `out_dir` (OUT_DIR inside an input folder, or a rerun fed its own outputs) are
    `InputError`s naming the files.
    """
    root = out_dir.resolve()
    owners: dict[Path, Item] = {}
    for item, output in zip(items, outputs, strict=True):
        other = owners.setdefault(output, item)
        if other is not item:
            raise InputError(
                f"{other.source} and {item.source} would both be written to {output}",
                hint="give their folders (voxcli mirrors folder trees) or --exclude one",
            )
    checked: set[Path] = set()
    for output in outputs:
        parent = output.parent
        if parent in checked:
            continue
        checked.add(parent)
        if not _inside(_resolve_existing(parent), root):
            raise InputError(
                f"{output} would be written outside {out_dir} (through a symlink)",
                hint="remove the symlink or choose another -o",
            )
    for item in items:
        if _inside(item.source.resolve(), root):
            raise InputError(
                f"input {item.source} is inside the output folder {out_dir}",
                hint="choose an -o outside the input folders",
            )


def _resolve_existing(path: Path) -> Path:
    """`path` with symlinks resolved up to its deepest existing folder."""
    missing: list[str] = []
    while not path.exists() and path != path.parent:
        missing.append(path.name)
        path = path.parent
    return path.resolve().joinpath(*reversed(missing))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
