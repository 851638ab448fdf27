"""`voxcli batch`: many files through one queue, resumable, shardable, with honest exit codes.

The flow, one module a step:

- `discover`: INPUT... (files, folders, globs, an input list) -> `Item`s with the relative
  path each output mirrors under OUT_DIR; every mapping error is found before anything is sent;
- `shard`: a deterministic 1/N of the items (`--shard K/N`, or `auto` from the CI's variables);
- `manifest`: OUT_DIR/.voxcli-manifest*.jsonl, appended atomically, read back on a rerun;
- `plan`: for each item, convert or skip (and why), the settings hash, the credits estimate;
- `runner`: the items' conversions through one pool of request slots (threads for a remote
  backend, worker processes for the local engine), stopping cleanly on quota, auth, failure
  with `--fail-fast`, SIGINT and SIGTERM;
- `summary`: counts, per-file results, JSON, a Markdown table, and `batch report`'s merge.

Each file is converted by `voxcli.convert.run.run_conversion`, exactly as `convert` does.
"""
