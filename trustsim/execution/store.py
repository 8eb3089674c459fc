"""A sweep's output folder: the lock, the manifest, the journal of verified chunks, the chunk files.

Crash safety: a chunk's files are written under temporary names and renamed, then the chunk is
appended to the journal and flushed to disk. On a rerun, chunks that are not in the journal (or
whose files do not match its checksums) are deleted and their runs done again: every run is recorded
exactly once, however the runs were batched or spread over workers.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsim.config.loading import ConfigError
from trustsim.execution import merge
from trustsim.execution.run import NO_ROOM, fsync, json_default, write_atomic


class SweepError(ConfigError):
    """A sweep that cannot go on, in one line (exit 2); the folder keeps what is done."""


LOCK = "sweep.lock"
# what a sweep folder may hold before its manifest is written (the lock, a torn manifest write)
BEFORE_MANIFEST = {LOCK, ".manifest.json.partial"}
# A chunk's files beside its runs (chunks/): the measures per step (steps/, read as they are by
# trustsim.analysis), the initial state, step 0 of steps.parquet (initial/), dyad records (dyads/).
PARTS = ("steps", "initial", "dyads")
CHUNK_NAME = re.compile(r"^\.?part-(\d{6})\.parquet(\.partial)?$")


# Sweep settings that say how the runs are grouped, never what they compute: a resume may change them.
EXECUTION_ONLY = ("batch_size",)


def sweep_identity(manifest: dict[str, Any]) -> str:
    """A hash of what makes a sweep this sweep (its config and resolved base scenario). ``dyads``
    counts only when on, so that sweeps started before it existed keep their identity."""
    sweep = {
        key: value
        for key, value in manifest["sweep"].items()
        if key not in EXECUTION_ONLY and not (key == "dyads" and value is False)
    }
    text = json.dumps({"sweep": sweep, "base": manifest["base"]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_error(exc: OSError, path: Path, done: int) -> SweepError:
    """A failed write as one line (the OS's words, not pyarrow's): a full disk, quota or file-size
    limit says how to go on."""
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc).splitlines()[0])
    if exc.errno in NO_ROOM or "No space left" in str(exc):
        what = "the file size limit is reached" if exc.errno == errno.EFBIG else "the disk is full"
        return SweepError(
            f"{path}: cannot write: {what} ({reason}); {done} runs are saved: free some "
            "space and rerun the same command to resume"
        )
    return SweepError(f"{path}: cannot write ({reason}); rerun the same command to resume")


@dataclass
class SweepStore:
    """The output folder: lock, manifest, journal of verified chunks, chunk files, merged results.

    One process at a time holds the folder (an flock on ``sweep.lock``, released by the kernel
    when the process dies, however it dies). Each journal line names one chunk with its run ids,
    row counts and SHA-256 checksums; on resume every line is checked against its files, and a
    chunk that is missing, damaged, or repeats a run is dropped and its runs done again.
    """

    out: Path
    chunk: int = 0
    done: set[int] = field(default_factory=set)
    parameters: list[str] = field(default_factory=list)  # the design's, for the tidy steps table
    dyads: bool = False  # the runs' per-dyad records are kept (``dyads/``, merged to dyads.parquet)
    identity: str = ""
    code: str = ""
    created: bool = False
    _lock: Any = None

    @property
    def journal(self) -> Path:
        return self.out / "journal.jsonl"

    def open(
        self, manifest: dict[str, Any], points: pd.DataFrame, total: int, allow_code_change: bool = False
    ) -> None:
        """Take the folder, or check that it holds this same sweep and recover what it holds."""
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"{self.out}: exists and is not a folder; choose another --out")
        self._refuse_foreign()
        self.created = not self.out.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"{self.out}: cannot create the folder ({exc.strerror})") from None
        self._take_lock()
        self._refuse_foreign()  # again, now that no other sweep can be writing it
        self.identity = sweep_identity(manifest)
        self.code = manifest["code"]["sha256"]
        manifest["identity"] = self.identity
        previous = self._read_manifest()
        if previous is not None:
            if previous.get("identity", sweep_identity(previous)) != self.identity:
                raise SweepError(f"{self.out}: holds a different sweep; choose another --out")
            self._check_code(previous, manifest, allow_code_change)
            manifest["created"] = previous.get("created", manifest["created"])
            manifest["wall_time_seconds"] = previous.get("wall_time_seconds", 0.0)
        self.write_manifest(manifest)
        for folder in self._folders():
            folder.mkdir(exist_ok=True)
        if not (self.out / "design.parquet").exists():
            try:
                write_atomic(self.out / "design.parquet", lambda p: points.reset_index().to_parquet(p), True)
            except OSError as exc:
                raise write_error(exc, self.out / "design.parquet", 0) from None
        self._recover(total)

    def _folders(self) -> list[Path]:
        """The folders of the chunk files: runs, steps, and dyad records when kept."""
        return [self.out / name for name in ("chunks", *PARTS[: 3 if self.dyads else 2])]

    def _refuse_foreign(self) -> None:
        """--out must be new, empty, or a trustsim sweep folder: never wipe someone's files."""
        if not self.out.is_dir():
            return
        if (self.out / "manifest.json").exists():
            try:
                kind = json.loads((self.out / "manifest.json").read_text()).get("kind", "sweep")
            except (ValueError, UnicodeError, AttributeError):
                return  # damaged: _read_manifest decides, under the lock
            if kind != "sweep":
                raise SweepError(f"{self.out}: holds a trustsim {kind}, not a sweep; choose another --out")
            return
        names = {path.name for path in self.out.iterdir()}
        if (self.out / "journal.jsonl").exists() or names <= BEFORE_MANIFEST:
            return
        raise SweepError(
            f"{self.out}: is not empty and is not a trustsim sweep folder (no manifest.json); "
            "choose a new or empty --out"
        )

    def _take_lock(self) -> None:
        lock = (self.out / LOCK).open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            try:
                holder = json.loads(lock.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            lock.close()
            raise SweepError(
                f"{self.out}: in use by another trustsim sweep (pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, since {holder.get('since', '?')}); wait for it to end, "
                "or choose another --out"
            ) from None
        lock.seek(0)
        lock.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        lock.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}) + "\n")
        lock.flush()
        self._lock = lock

    def close(self) -> None:
        """Release the folder (the lock file stays; it is free once no process holds it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def discard(self) -> None:
        """Remove a folder this run created and wrote no results to (the sweep could not start)."""
        if self.created and not self.journal.exists():
            self.close()
            shutil.rmtree(self.out, ignore_errors=True)

    def _read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a new folder. A damaged manifest (never written so by
        trustsim: it is replaced atomically) is rebuilt when the journal shows the same sweep."""
        path = self.out / "manifest.json"
        if not path.exists():
            return None
        try:
            previous = json.loads(path.read_text())
        except (ValueError, UnicodeError):
            previous = None
        if not isinstance(previous, dict) or "sweep" not in previous or "base" not in previous:
            entries = self._journal_entries()
            if not entries or all(entry.get("sweep") == self.identity for entry in entries):
                return None  # nothing finished yet, or the journal vouches for it: rewrite it
            raise SweepError(f"{path}: damaged, and the journal is of another sweep; choose another --out")
        return previous

    def _check_code(self, previous: dict[str, Any], manifest: dict[str, Any], allow: bool) -> None:
        """A resume must run the code the sweep started with, unless the user says otherwise."""
        manifest["code_changes"] = previous.get("code_changes", [])
        before = previous.get("code") or {}
        if before.get("sha256") == self.code:
            return
        now = manifest["code"]
        if not allow:
            raise SweepError(
                f"{self.out}: was started under other code (trustsim {before.get('version', '?')}, "
                f"sources {str(before.get('sha256', 'unknown'))[:12]}); this is trustsim {now['version']}, "
                f"sources {now['sha256'][:12]} from {now['path']}; rerun with --allow-code-change to "
                "resume anyway (recorded in the manifest)"
            )
        manifest["code_changes"].append(
            {"from": before, "to": now, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        )

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, default=json_default) + "\n"
        try:
            write_atomic(self.out / "manifest.json", lambda p: p.write_text(text), durable=True)
        except OSError as exc:
            raise write_error(exc, self.out / "manifest.json", len(self.done)) from None

    def _journal_entries(self) -> list[dict[str, Any]]:
        """The journal's well-formed lines (a torn or foreign line is left out)."""
        if not self.journal.exists():
            return []
        entries = []
        for line in self.journal.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if _well_formed(entry):
                entries.append(entry)
        return entries

    def _verified(self, entry: dict[str, Any], total: int) -> bool:
        """Whether a journal entry's files are there, whole, and hold runs not yet counted."""
        runs = entry["runs"]
        if entry["sweep"] != self.identity or len(set(runs)) != len(runs) or entry["rows"] != len(runs):
            return False
        if self.done.intersection(runs) or not all(0 <= run < total for run in runs):
            return False
        name = f"part-{entry['chunk']:06d}.parquet"
        chunk = self.out / "chunks" / name
        if not chunk.is_file() or file_sha256(chunk) != entry["sha256"]:
            return False
        for kind in PARTS:
            path, part = self.out / kind / name, entry.get(kind)
            if part is None and path.exists():
                return False
            if part is not None and not (path.is_file() and file_sha256(path) == part["sha256"]):
                return False
        return entry.get("dyads") is None or self.dyads

    def _recover(self, total: int) -> None:
        """Keep the journaled chunks that verify; delete every other chunk file; rewrite the journal
        if anything was dropped. Their runs are then done again."""
        text = self.journal.read_text(errors="replace") if self.journal.exists() else ""
        kept: list[dict[str, Any]] = []
        chunks: set[int] = set()
        for entry in self._journal_entries():
            if entry["chunk"] not in chunks and self._verified(entry, total):
                kept.append(entry)
                chunks.add(entry["chunk"])
                self.done.update(entry["runs"])
        lines = "".join(json.dumps(entry) + "\n" for entry in kept)
        if lines != text:
            write_atomic(self.journal, lambda p: p.write_text(lines), durable=True)
        self.chunk = max(chunks, default=-1) + 1
        for folder in self._folders():
            for path in folder.iterdir():
                match = CHUNK_NAME.match(path.name)
                if match and (match[2] or path.name.startswith(".") or int(match[1]) not in chunks):
                    path.unlink()

    def write_chunk(
        self,
        rows: list[dict[str, Any]],
        steps: list[pd.DataFrame],
        initial: list[dict[str, Any]] | None = None,
        dyads: list[pd.DataFrame] | None = None,
    ) -> None:
        """Write one chunk's runs, steps, initial states and dyad records, fsync them and the folders,
        then journal the chunk with its row counts and checksums (the journal line flushed and
        fsynced too)."""
        number = self.chunk
        name = f"part-{number:06d}.parquet"
        frame = pd.DataFrame(rows)
        if "seed" in frame:  # 64-bit seeds: int64 in a chunk where all are < 2**63 merges to float64
            frame["seed"] = frame["seed"].astype(np.uint64)
        chunk_path, steps_path = self.out / "chunks" / name, self.out / "steps" / name
        try:
            write_atomic(chunk_path, lambda p: merge.write_parquet(frame, p), durable=True)
            entry: dict[str, Any] = {
                "chunk": number,
                "runs": [int(row["run_id"]) for row in rows],
                "rows": len(frame),
                "sha256": file_sha256(chunk_path),
                "steps": None,
                "initial": None,
                "dyads": None,
                "sweep": self.identity,
                "code": self.code,
            }
            if steps:
                merged = pd.concat(steps, ignore_index=True)
                write_atomic(steps_path, lambda p: merge.write_parquet(merged, p), durable=True)
                entry["steps"] = {"rows": len(merged), "sha256": file_sha256(steps_path)}
            if initial:
                start, initial_path = pd.DataFrame(initial), self.out / "initial" / name
                write_atomic(initial_path, lambda p: merge.write_parquet(start, p), durable=True)
                entry["initial"] = {"rows": len(start), "sha256": file_sha256(initial_path)}
            if dyads:
                dyads_path = self.out / "dyads" / name
                write_atomic(dyads_path, lambda p: merge.write_dyad_part(p, dyads), durable=True)
                entry["dyads"] = {"rows": sum(map(len, dyads)), "sha256": file_sha256(dyads_path)}
            new = not self.journal.exists()
            with self.journal.open("a") as journal:
                journal.write(json.dumps(entry) + "\n")
                journal.flush()
                os.fsync(journal.fileno())
            if new:
                fsync(self.out)
        except OSError as exc:
            raise write_error(exc, self.out / "chunks" / name, len(self.done)) from None
        self.done.update(entry["runs"])
        self.chunk += 1

    def finalize(self) -> pd.DataFrame:
        """Merge the chunks into runs.parquet (ordered by run id), steps.parquet, failures.jsonl and,
        when kept, dyads.parquet."""
        parts = sorted((self.out / "chunks").glob("part-*.parquet"))
        runs = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
        if not runs.empty:
            if runs["run_id"].duplicated().any():  # the journal check makes this impossible
                raise SweepError(f"{self.out}: a run is recorded twice; rerun the same command to repair")
            runs = merge.normalize(runs.sort_values("run_id", kind="stable").reset_index(drop=True))
        failed = runs[runs["status"] == "failed"] if not runs.empty else runs
        lines = [
            json.dumps(
                {
                    key: row[key]
                    for key in row.index
                    if key not in ("status",) and not (isinstance(row[key], float) and np.isnan(row[key]))
                },
                default=json_default,
            )
            for _, row in failed.iterrows()
        ]
        parts = {kind: sorted((self.out / kind).glob("part-*.parquet")) for kind in PARTS}
        tidy = merge.tidy_steps(runs, [*parts["initial"], *parts["steps"]], self.parameters)
        try:
            write_atomic(self.out / "runs.parquet", lambda p: merge.write_parquet(runs, p), durable=True)
            write_atomic(self.out / "steps.parquet", lambda p: merge.write_parquet(tidy, p), durable=True)
            if self.dyads:
                dyads = parts["dyads"]
                write_atomic(self.out / "dyads.parquet", lambda p: merge.merge_dyads(p, dyads), durable=True)
            text = "".join(f"{x}\n" for x in lines)
            write_atomic(self.out / "failures.jsonl", lambda p: p.write_text(text), durable=True)
        except OSError as exc:
            raise write_error(exc, self.out / "runs.parquet", len(self.done)) from None
        return runs


def _well_formed(entry: Any) -> bool:
    """The shape of a journal line: chunk number, run ids, row count, checksums."""
    if not isinstance(entry, dict):
        return False
    steps, others = entry.get("steps", False), [entry.get("initial"), entry.get("dyads")]
    return (
        type(entry.get("chunk")) is int
        and entry["chunk"] >= 0
        and isinstance(entry.get("runs"), list)
        and all(type(run) is int for run in entry["runs"])
        and type(entry.get("rows")) is int
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("sweep"), str)
        and (steps is None or (isinstance(steps, dict) and isinstance(steps.get("sha256"), str)))
        and all(
            part is None or (isinstance(part, dict) and isinstance(part.get("sha256"), str))
            for part in others
        )
    )
