"""The conversion core: one conversion's run, long audio, and batches of files.

Data flows one way, ``cli -> convert -> audio + backends -> errors``:

- `job`: what to convert (`ConvertSettings` shared by a run, `ConvertJob` per file);
- `run`: `run_conversion`, the one function `convert`, `batch` and `record --convert` call
  (checks, voice, output plan, the pipeline, committing the output);
- `pipeline`: one request (its answer written out by `answers`), or a long input through
  `sections` + `section_worker`, with every finished request kept in `cache` so a rerun pays
  only for what is missing;
- `dryrun`: the section plan and the credits it would cost, sending nothing;
- `batch`: many files through one queue of requests (see its own docstring).

Nothing here prints: progress and notices go through `voxcli.progress.Reporter`.
"""
