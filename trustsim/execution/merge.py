"""Merging a sweep's chunks: runs in run order, the tidy steps table, the per-dyad records.

The merged files depend on the runs only, never on how they fell into chunks, batches or workers:
rows are ordered by run id (and step), columns and dtypes are the same however the chunks fell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def tidy_steps(runs: pd.DataFrame, parts: list[Path], parameters: list[str]) -> pd.DataFrame:
    """One row per finished run and step, step 0 included, with the run's identity and design
    parameters as columns: ``steps.parquet``, for pandas, DuckDB or Polars without a join.

    Step 0 is the state before the first step (``records.measures`` of the model as built): NaN for
    the measures of what a step does (its actions and payoffs)."""
    ok = runs[runs["status"] == "ok"] if not runs.empty else runs
    keys = [c for c in ["run_id", "point", "replication", "seed", *parameters] if c in ok.columns]
    steps = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if ok.empty or steps.empty:
        return pd.DataFrame(columns=[*keys, "step"])
    steps = steps.sort_values(["run_id", "step"], kind="stable")
    tidy = ok[keys].merge(steps, on="run_id", how="inner")
    if "seed" in tidy:
        tidy["seed"] = tidy["seed"].astype(np.uint64)
    return tidy.reset_index(drop=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` to Parquet without its index, dictionary-encoding only the columns that are not
    floating point. A measure's values are nearly all distinct, so pyarrow's default, which tries a
    dictionary for every column before falling back, took longer for a larger file (51,200 steps of
    europe: 69 against 19 ms, 3.35 against 3.21 MB; ``benchmarks/bench_worker.py``). The values
    read back are the same."""
    keyed = [str(name) for name, dtype in frame.dtypes.items() if not pd.api.types.is_float_dtype(dtype)]
    frame.to_parquet(path, index=False, use_dictionary=keyed)


def normalize(runs: pd.DataFrame) -> pd.DataFrame:
    """The same columns and dtypes however the runs fell into chunks, so a resumed sweep's results
    equal an uninterrupted one's: a chunk where an outcome is always None (time_to_recovery), or
    that holds only failed runs, would otherwise leave an object column or change the column order."""
    runs = runs.infer_objects()
    last = [column for column in ("error", "traceback") if column in runs.columns]
    return runs[[column for column in runs.columns if column not in last] + last]


DICTIONARY = pa.dictionary(pa.int32(), pa.string())  # states and actions, whatever their number


def dyad_table(frame: pd.DataFrame) -> pa.Table:
    """A run's dyad records as Arrow, with one schema for every run (categories as int32 dictionaries,
    no pandas metadata), so that runs can be written into one file."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    for index, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(index, column.name, table.column(index).cast(DICTIONARY))
    return table


def write_dyad_part(path: Path, frames: list[pd.DataFrame]) -> None:
    """One chunk's dyad records: each run's rows in row groups of their own (``merge_dyads`` reads
    them back run by run)."""
    tables = [dyad_table(frame) for frame in frames]
    with pq.ParquetWriter(path, tables[0].schema) as writer:
        for table in tables:
            writer.write_table(table)


def merge_dyads(path: Path, parts: list[Path]) -> None:
    """``dyads.parquet``: the chunks' dyad records in run order, streamed one row group at a time
    (memory stays at one run's rows)."""
    groups = []  # (run id, part, row group), a run's groups in the order they were written
    for part in parts:
        metadata = pq.ParquetFile(part).metadata
        column = metadata.schema.names.index("run_id")
        for group in range(metadata.num_row_groups):
            groups.append((metadata.row_group(group).column(column).statistics.min, part, group))
    groups.sort(key=lambda item: item[0])  # stable: a run's groups stay in order
    if not groups:
        pd.DataFrame({"run_id": pd.Series([], dtype=np.int64)}).to_parquet(path, index=False)
        return
    opened: tuple[Path, pq.ParquetFile] | None = None
    writer = None
    try:
        for _, part, group in groups:
            if opened is None or opened[0] != part:
                opened = (part, pq.ParquetFile(part))
            table = opened[1].read_row_group(group)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
