"""The generator's main loop: chunk by chunk, build events, damage some, re-send some, write.

Per chunk (``CHUNK_ROWS`` background positions and everything that falls in its time slice):

1. background events (background.py) plus the planted events whose time falls in the slice;
2. each event gets a format (so a file: one per provider per format) and an event_id, except
   a few background events written without one (ingest derives it) whose content is unique;
3. malformed rows: their own base events, damaged by kind (damage.py), handed out in a fixed
   cycle so a small corpus still carries every kind;
4. re-sent rows: copies of this chunk's events in a file that sorts at or after the original's
   (same file, later line, for events without an id, which are copied byte for byte);
5. labels are fed the original events only; rows are sorted by time, rendered per file family
   and appended to their files.

Memory stays bounded by the chunk size whatever ``rows`` is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..errors import UsageError
from ..i18n import _
from . import vocab
from .assemble import LineAssembler
from .background import Layout, build_background
from .damage import damage_cells
from .events import CANONICAL_SCHEMA, LAKE_TIMEZONE, local_date_expr, local_midnight_epoch
from .formats import BAD_KINDS, FORMATS, bad_kinds_for, family
from .labels import BULK_THRESHOLD, LabelAccumulator, check_against_plan
from .planted import INSTANCES, PLANTED_ACTOR_BASE, Planted, build_planted, expected_frame
from .providers import MAX_PROVIDERS, Provider, make_providers
from .realname import (
    LABEL_SCHEMA as REAL_NAME_LABEL_SCHEMA,
)
from .realname import (
    RealNameAccumulator,
    RealNamePlan,
    background_rows,
    build_cases,
    check_labels,
    compute_labels,
    with_verify_traffic,
    write_snapshot,
)
from .result import GeneratedFile, GenerateResult
from .serialize import OutputFile, parquet_rows
from .surface import spell_values

CHUNK_ROWS = 100_000
IDLESS_SHARE = 0.04  # background events written without an event_id
RESEND_DELAY_S = 3600  # a re-sent copy appears up to an hour of log later than its original
Progress = Callable[[int, int], None]  # (rows written, rows in all)


def run_generate(
    out: Path,
    *,
    rows: int,
    seed: int,
    bad_share: float,
    duplicate_share: float,
    formats: Sequence[str],
    providers: int,
    start: dt.date,
    days: int,
    plant: bool,
    overwrite: bool,
    progress: Progress | None = None,
) -> GenerateResult:
    fmts = _check_arguments(rows, bad_share, duplicate_share, formats, providers, days)
    provs = make_providers(providers)
    start_s = local_midnight_epoch(start)
    n_bad, n_dup = round(rows * bad_share), round(rows * duplicate_share)
    # The planted actors are numbered above every background actor, so the actor pool is sized
    # first (from the rows left before planting; the final pool is no larger).
    layout = Layout(max(rows - n_bad - n_dup, 1), days, start_s)
    planted = (
        build_planted(
            np.random.default_rng([seed, 0]),
            provs,
            start,
            days,
            actor_base=max(PLANTED_ACTOR_BASE, layout.actor_pool + 1),
        )
        if plant
        else None
    )
    real_name = build_cases(np.random.default_rng([seed, 5]), provs, start, days) if plant else None
    if planted is not None and real_name is not None:
        planted = Planted(
            pl.concat([planted.events, real_name.events]), planted.expected, planted.cases
        )
    n_planted = planted.events.height if planted else 0
    n_background = rows - n_bad - n_dup - n_planted
    if n_background < max(n_dup, 1):
        need = math.ceil((n_planted + 1) / max(1.0 - bad_share - 2 * duplicate_share, 0.01)) + 1
        raise UsageError(
            _(
                "--rows {rows} is too small for {n_planted} planted events plus {n_bad} malformed and {n_dup} re-sent rows"
            ).format(rows=rows, n_planted=n_planted, n_bad=n_bad, n_dup=n_dup),
            hint=_("use --rows {need} or more").format(need=need)
            + (_(", or --no-plant") if plant else ""),
        )
    layout = Layout(n_background, days, start_s)
    _prepare_folder(out, overwrite)
    state = _Run(out, seed, fmts, provs, layout, n_bad, n_dup, planted)
    try:
        done = 0
        for chunk in range(state.chunks):
            done += state.write_chunk(chunk)
            if progress:
                progress(done, rows)
        state.close()
        if done != rows:
            raise AssertionError(f"wrote {done} rows, meant {rows}")
        labels = state.labels.labels()
        check_against_plan(labels, planted.expected if planted else expected_frame([]))
        snapshots = _snapshot_rows(state, real_name, start, days)
        rn_labels = compute_labels(state.realname.events(), snapshots)
        check_labels(
            rn_labels,
            real_name.expected if real_name else pl.DataFrame(schema=REAL_NAME_LABEL_SCHEMA),
        )
    except BaseException:
        state.abort()  # nothing half-written stays behind
        raise
    result = GenerateResult(
        out=out,
        files=[f.as_result() for f in state.files_in_order()],
        labels=labels.height,
        labels_by_category=dict(sorted(labels["category"].value_counts().iter_rows())),
        planted_events=n_planted,
        planted_cases=len(planted.cases) if planted else 0,
        account_snapshots=_plan_snapshots(out, snapshots, fmts, bad_share > 0),
        real_name_labels=rn_labels.height,
    )
    arguments = {
        "rows": rows,
        "seed": seed,
        "bad_share": bad_share,
        "duplicate_share": duplicate_share,
        "formats": list(fmts),
        "providers": providers,
        "start": start.isoformat(),
        "days": days,
        "plant": plant,
    }
    # _expected/ first, then the logs appear under their real names: a run killed in between
    # leaves a summary that --overwrite can clean up after, never logs without one.
    _write_expected(result, labels, state, arguments)
    rn_labels.write_parquet(
        result.expected_dir / "real_name_labels.parquet", compression="zstd", statistics=False
    )
    for f in state.files_in_order():
        f.publish()
    _write_snapshots(out, snapshots, result.account_snapshots, bad_share > 0)
    return result


def _snapshot_rows(
    state: _Run, real_name: RealNamePlan | None, start: dt.date, days: int
) -> pl.DataFrame:
    """Every snapshot row: the background's and the planted cases'."""
    rng = np.random.default_rng([state.seed, 6])
    rows = background_rows(state.realname.events(), state.providers, start, days, rng)
    if real_name is not None:
        rows = pl.concat([rows, real_name.rows])
    return rows.sort("provider_id", "snapshot_date", "account_id")


def _snapshot_files(
    snapshots: pl.DataFrame, formats: tuple[str, ...]
) -> list[tuple[str, str, str, dt.date]]:
    """(file name, format, provider_id, snapshot_date) of every snapshot file: one per iisp
    provider and snapshot date, the formats taken in turn."""
    keys = (
        snapshots.select("provider_id", "snapshot_date")
        .unique()
        .sort("provider_id", "snapshot_date")
    )
    out = []
    for i, (provider, day) in enumerate(keys.iter_rows()):
        fmt = formats[i % len(formats)]
        out.append((f"{provider}-{day.isoformat()}.accounts.{fmt}", fmt, provider, day))
    return out


def _plan_snapshots(
    out: Path, snapshots: pl.DataFrame, formats: tuple[str, ...], bad: bool
) -> list[GeneratedFile]:
    from .realname import bad_lines

    files = []
    for name, fmt, provider, day in _snapshot_files(snapshots, formats):
        rows = snapshots.filter(
            (pl.col("provider_id") == provider) & (pl.col("snapshot_date") == day)
        )
        n_bad = 0
        if bad and day != min(snapshots["snapshot_date"]):  # only the later snapshot
            n_bad = len(bad_lines(rows, family(fmt)))
            n_bad = 1 if family(fmt) == "parquet" else n_bad
        files.append(GeneratedFile(name, fmt, provider, rows.height + n_bad, n_bad, 0, {}))
    return files


def _write_snapshots(
    out: Path, snapshots: pl.DataFrame, files: list[GeneratedFile], bad: bool
) -> None:
    for f in files:
        day = dt.date.fromisoformat(f.name[len(f.provider_id) + 1 :][:10])
        rows = snapshots.filter(
            (pl.col("provider_id") == f.provider_id) & (pl.col("snapshot_date") == day)
        )
        written, n_bad = write_snapshot(
            out / f.name, rows, f.format, family(f.format), f.bad_rows > 0
        )
        if (written, n_bad) != (f.rows, f.bad_rows):
            raise AssertionError(f"{f.name}: wrote {written} rows ({n_bad} bad), meant {f.rows}")


def _check_arguments(
    rows: int,
    bad_share: float,
    duplicate_share: float,
    formats: Sequence[str],
    providers: int,
    days: int,
) -> tuple[str, ...]:
    if rows < 1:
        raise UsageError(_("--rows must be at least 1, not {rows}").format(rows=rows))
    if not 0.0 <= bad_share <= 0.5:
        raise UsageError(
            _("--bad-share must be between 0 and 0.5, not {bad_share}").format(bad_share=bad_share)
        )
    if not 0.0 <= duplicate_share <= 0.1:
        raise UsageError(
            _("--duplicate-share must be between 0 and 0.1, not {duplicate_share}").format(
                duplicate_share=duplicate_share
            )
        )
    if not 1 <= providers <= MAX_PROVIDERS:
        raise UsageError(
            _("--providers must be between 1 and {MAX_PROVIDERS}, not {providers}").format(
                MAX_PROVIDERS=MAX_PROVIDERS, providers=providers
            )
        )
    if not 1 <= days <= 366:
        raise UsageError(_("--days must be between 1 and 366, not {days}").format(days=days))
    fmts = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise UsageError(
            (
                _("unknown format {items}").format(items=", ".join(unknown))
                if unknown
                else _("no --formats given")
            ),
            hint=_("choose from {items}, separated by commas").format(items=", ".join(FORMATS)),
        )
    return fmts


def _prepare_folder(out: Path, overwrite: bool) -> None:
    """``out`` must be new or empty; --overwrite first removes an earlier generated set."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            _("{out} is a file, not a folder").format(out=out), hint=_("pass a folder for --out")
        )
    out.mkdir(parents=True, exist_ok=True)
    for litter in out.glob(".*.partial"):  # left by a killed run
        litter.unlink()
    if overwrite:
        summary = out / "_expected" / "summary.json"
        if summary.is_file():
            listed = json.loads(summary.read_text(encoding="utf-8"))
            for entry in listed.get("files", []) + listed.get("account_snapshots", []):
                (out / entry["name"]).unlink(missing_ok=True)
        shutil.rmtree(out / "_expected", ignore_errors=True)
    left = sorted(p.name for p in out.iterdir())
    if left:
        shown = ", ".join(left[:3]) + (" ..." if len(left) > 3 else "")
        raise UsageError(
            _("{out} is not empty ({shown})").format(out=out, shown=shown),
            hint=_("pick a new folder")
            + ("" if overwrite else _(", or add --overwrite to replace an earlier generated set")),
        )


class _File(OutputFile):
    def as_result(self) -> GeneratedFile:
        return GeneratedFile(
            name=self.name,
            format=self.format,
            provider_id=self.provider_id,
            rows=self.rows,
            bad_rows=self.bad_rows,
            duplicate_rows=self.duplicate_rows,
            bad_by_kind=dict(sorted(self.bad_by_kind.items())),
        )


class _Run:
    """State carried from chunk to chunk."""

    def __init__(
        self,
        out: Path,
        seed: int,
        formats: tuple[str, ...],
        providers: list[Provider],
        layout: Layout,
        n_bad: int,
        n_dup: int,
        planted: Planted | None,
    ):
        self.out, self.seed, self.formats = out, seed, formats
        self.providers, self.layout = providers, layout
        self.n_bad, self.n_dup = n_bad, n_dup
        self.planted = planted
        self.assembler = LineAssembler()
        self.chunks = max(1, math.ceil(layout.rows / CHUNK_ROWS))
        self.bad_kinds = bad_kinds_for(formats)
        self.labels = LabelAccumulator(brokers=[vocab.BROKER], bulk_threshold=BULK_THRESHOLD)
        self.realname = RealNameAccumulator()
        self.partition_counts: list[pl.DataFrame] = []
        self.serial = 0  # next event-id number
        self.bad_handed_out = 0
        self.prev_idless = pl.DataFrame(schema={k: CANONICAL_SCHEMA[k] for k in _IDLESS_KEY})
        self.files: dict[tuple[str, str], _File] = {}
        for i, (p, fmt) in enumerate((p, f) for p in providers for f in formats):
            rng = np.random.default_rng([seed, 1, i])
            name = f"{p.provider_id}.{fmt}"
            self.files[(p.provider_id, fmt)] = _File(out, name, fmt, p.provider_id, rng)
        planted_events = planted.events if planted is not None else None
        if planted_events is not None:
            # Planted events join the chunk whose slice of time holds them.
            bounds = [
                layout.times(np.array([c * CHUNK_ROWS]), np.zeros(1))[0]
                for c in range(1, self.chunks)
            ]
            chunk_of = np.searchsorted(
                np.array(bounds, dtype=np.int64), planted_events["time_s"].to_numpy(), side="right"
            )
            planted_events = planted_events.with_columns(chunk=pl.Series(chunk_of))
        self.planted_events = planted_events

    def files_in_order(self) -> list[_File]:
        return sorted(self.files.values(), key=lambda f: f.name)

    def write_chunk(self, chunk: int) -> int:
        rng = np.random.default_rng([self.seed, 2, chunk])
        a = chunk * CHUNK_ROWS
        b = min(a + CHUNK_ROWS, self.layout.rows)
        events = build_background(rng, np.arange(a, b), self.providers, self.layout)
        events = with_verify_traffic(events, np.random.default_rng([self.seed, 7, chunk]))
        if self.planted_events is not None:
            mine = self.planted_events.filter(pl.col("chunk") == chunk).drop("chunk")
            events = pl.concat([events, mine])
        events = self._assign_formats_and_ids(events, rng)
        self.labels.add(events)
        self.realname.add(events)
        self.partition_counts.append(
            events.group_by(
                "provider_id", local_date_expr(pl.col("time_s")).alias("event_date")
            ).len()
        )
        bad = self._bad_rows(rng, a, b)
        copies = self._copies(events, rng, _share(self.n_dup, a, b, self.layout.rows))
        rows = pl.concat(
            [
                events.with_columns(
                    bad_kind=pl.lit(None, pl.String),
                    is_copy=pl.lit(False),
                    orig_seq=pl.lit(None, pl.Int64),
                    sort_s=pl.col("time_s"),
                ),
                bad,
                copies,
            ],
            how="diagonal_relaxed",
        ).sort(["sort_s", "seq"])
        for fam in ("json", "csv", "parquet"):
            part = rows.filter(pl.col("fmt").is_in([f for f in self.formats if family(f) == fam]))
            if part.height:
                self._render(part, fam, rng)
        return rows.height

    def _assign_formats_and_ids(
        self, events: pl.DataFrame, rng: np.random.Generator
    ) -> pl.DataFrame:
        n = events.height
        fmt = pl.Series(list(self.formats)).gather(rng.integers(0, len(self.formats), n))
        seq = np.arange(self.serial, self.serial + n)
        self.serial += n
        events = events.with_columns(fmt=fmt, seq=pl.Series(seq, dtype=pl.Int64))
        # A few background events go without an id. Ingest derives one from the content, so
        # only events whose key content is unique (in this chunk and the previous one, the
        # only ones that can share a second with it) may go without.
        candidate = (rng.random(n) < IDLESS_SHARE) & events["planted_case"].is_null().to_numpy()
        keys = events.select(_IDLESS_KEY).filter(pl.Series(candidate))
        unique = pl.concat([self.prev_idless, keys]).is_unique()[self.prev_idless.height :]
        idless = candidate.copy()
        idless[np.flatnonzero(candidate)] = unique.to_numpy()
        self.prev_idless = keys.filter(unique)
        explicit_id = pl.col("provider_id") + "-" + pl.col("seq").cast(pl.String).str.zfill(10)
        return events.with_columns(
            event_id=pl.when(pl.Series(idless)).then(pl.lit(None, pl.String)).otherwise(explicit_id)
        )

    def _bad_rows(self, rng: np.random.Generator, a: int, b: int) -> pl.DataFrame:
        n = _share(self.n_bad, a, b, self.layout.rows)
        if n == 0 or not self.bad_kinds:
            return pl.DataFrame()
        positions = np.sort(rng.integers(a, b, n))
        base = build_background(rng, positions, self.providers, self.layout)
        kinds = [self.bad_kinds[(self.bad_handed_out + j) % len(self.bad_kinds)] for j in range(n)]
        self.bad_handed_out += n
        # Each kind goes to a format whose family can carry it.
        fmt = np.empty(n, dtype=object)
        kinds_arr = np.array(kinds)
        for kind in self.bad_kinds:
            where = np.flatnonzero(kinds_arr == kind)
            able = [f for f in self.formats if family(f) in BAD_KINDS[kind]]
            fmt[where] = np.array(able)[rng.integers(0, len(able), len(where))]
        seq = np.arange(self.serial, self.serial + n)
        self.serial += n
        return base.with_columns(
            event_id=pl.col("provider_id")
            + pl.lit("-")
            + pl.Series(seq).cast(pl.String).str.zfill(10),
            fmt=pl.Series(fmt.astype(str)),
            seq=pl.Series(seq, dtype=pl.Int64),
            bad_kind=pl.Series(kinds_arr),
            is_copy=pl.lit(False),
            orig_seq=pl.lit(None, pl.Int64),
            sort_s=pl.col("time_s"),
        )

    def _copies(self, events: pl.DataFrame, rng: np.random.Generator, n: int) -> pl.DataFrame:
        """Re-sent events: exact repeats of ``n`` of this chunk's events."""
        if n == 0:
            return pl.DataFrame()
        picked = events[np.sort(rng.choice(events.height, size=n, replace=False))]
        # A copy lands in a file whose name sorts at or after the original's (ingest reads a
        # folder in name order, so the copy is the one counted as the duplicate); a copy of an
        # event without an id stays in the same file so its bytes, and derived id, match.
        order = sorted(self.formats)
        target = picked["fmt"].to_numpy().astype(object)
        movable = picked["event_id"].is_not_null().to_numpy()
        for fmt in order:
            where = np.flatnonzero((target == fmt) & movable)
            later = np.array(order[order.index(fmt) :])
            target[where] = later[rng.integers(0, len(later), len(where))]
        seq = np.arange(self.serial, self.serial + n)
        self.serial += n
        delay = rng.integers(0, RESEND_DELAY_S, n)
        return picked.with_columns(
            orig_seq=pl.when(pl.col("event_id").is_null()).then(pl.col("seq")),
            fmt=pl.Series(target.astype(str)),
            seq=pl.Series(seq, dtype=pl.Int64),
            bad_kind=pl.lit(None, pl.String),
            is_copy=pl.lit(True),
            sort_s=pl.col("time_s") + pl.Series(delay),
        )

    def _render(self, rows: pl.DataFrame, fam: str, rng: np.random.Generator) -> None:
        kinds = rows["bad_kind"]
        cells = damage_cells(spell_values(rows, rng, fam), kinds, rng)
        if fam == "json":
            rendered = pl.DataFrame({"line": self.assembler.json_lines(cells, kinds, rng)})
        elif fam == "csv":
            rendered = pl.DataFrame({"line": self.assembler.csv_lines(cells, kinds, rng)})
        else:
            rendered = parquet_rows(cells, rng)
        rendered = _copy_originals(rendered, rows["seq"], rows["orig_seq"])
        tagged = rendered.with_columns(
            _fmt=rows["fmt"], _provider=rows["provider_id"], _kind=kinds, _copy=rows["is_copy"]
        )
        for (fmt, provider), part in tagged.partition_by(
            ["_fmt", "_provider"], maintain_order=True, as_dict=True
        ).items():
            f = self.files[(str(provider), str(fmt))]
            body = part.drop("_fmt", "_provider", "_kind", "_copy")
            if fam == "parquet":
                f.write_rows(body)
            else:
                f.write_lines(body["line"])
            f.count(part["_kind"], int(part["_copy"].sum()))

    def close(self) -> None:
        self.assembler.close()
        for f in self.files.values():
            f.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.assembler.close()
        for f in self.files.values():
            with contextlib.suppress(Exception):  # it may be closed already
                f.close()
            f.partial.unlink(missing_ok=True)

    def partitions(self) -> pl.DataFrame:
        if not self.partition_counts:
            return pl.DataFrame(
                schema={"provider_id": pl.String, "event_date": pl.Date, "events": pl.UInt32}
            )
        return (
            pl.concat(self.partition_counts)
            .group_by("provider_id", "event_date")
            .agg(events=pl.col("len").sum())
            .sort("provider_id", "event_date")
        )


_IDLESS_KEY = ["provider_id", "time_s", "actor_id", "subject_id", "action"]


def _share(total: int, a: int, b: int, n: int) -> int:
    """How many of ``total`` items fall on positions [a, b) of n, spread evenly."""
    return total * b // n - total * a // n


def _copy_originals(rendered: pl.DataFrame, seq: pl.Series, orig_seq: pl.Series) -> pl.DataFrame:
    """Rows whose ``orig_seq`` is set become byte-for-byte copies of that original row."""
    if orig_seq.null_count() == len(orig_seq):
        return rendered
    index = pl.DataFrame({"seq": seq, "pos": pl.int_range(len(seq), eager=True)})
    lookup = pl.DataFrame({"orig_seq": orig_seq}).join(
        index.rename({"seq": "orig_seq", "pos": "orig_pos"}),
        on="orig_seq",
        how="left",
        maintain_order="left",
    )
    take = lookup["orig_pos"].fill_null(index["pos"])
    return rendered[take]


def _write_expected(
    result: GenerateResult, labels: pl.DataFrame, state: _Run, arguments: dict[str, Any]
) -> None:
    expected = result.expected_dir
    expected.mkdir(parents=True, exist_ok=True)
    labels.write_parquet(expected / "labels.parquet", compression="zstd", statistics=False)
    (expected / "brokers.txt").write_text(vocab.BROKER + "\n", encoding="utf-8")
    partitions = state.partitions()
    summary = {
        "generator": "auditpipe generate",
        "arguments": arguments,
        "timezone": LAKE_TIMEZONE,
        "files": [
            {
                "name": f.name,
                "format": f.format,
                "provider_id": f.provider_id,
                "rows": f.rows,
                "bad_rows": f.bad_rows,
                "duplicate_rows": f.duplicate_rows,
                "expected_stored": f.expected_stored,
                "bad_by_kind": f.bad_by_kind,
            }
            for f in result.files
        ],
        "totals": {
            "files": len(result.files),
            "rows": result.rows,
            "bad_rows": result.bad_rows,
            "duplicate_rows": result.duplicate_rows,
            "expected_stored": result.expected_stored,
            "bad_by_kind": result.bad_by_kind,
        },
        "expected_partitions": [
            {"provider_id": p, "event_date": d.isoformat(), "events": int(n)}
            for p, d, n in partitions.iter_rows()
        ],
        "labels": {
            "file": "labels.parquet",
            "findings": result.labels,
            "by_category": result.labels_by_category,
            "assumes": {
                "catalog": "default (schemas/data_catalog.json)",
                "timezone": LAKE_TIMEZONE,
                "bulk_threshold": BULK_THRESHOLD,
                "broker_watchlist": "brokers.txt",
            },
        },
        "account_snapshots": [
            {
                "name": f.name,
                "format": f.format,
                "provider_id": f.provider_id,
                "rows": f.rows,
                "bad_rows": f.bad_rows,
                "expected_stored": f.expected_stored,
            }
            for f in result.account_snapshots
        ],
        "real_name_labels": {
            "file": "real_name_labels.parquet",
            "findings": result.real_name_labels,
            "key": "rule_id, provider_id and account_id, event_date or account_ids",
            "assumes": {"shared_identity_limit": 5, "timezone": LAKE_TIMEZONE},
        },
        "planted": {
            "events": result.planted_events,
            "instances_per_case": INSTANCES,
            "cases": [
                {
                    "name": case.name,
                    "kind": case.kind,
                    "description": case.description,
                    "expected_rules": sorted({e.rule_id for e in case.expect}),
                }
                for case in (state.planted.cases if state.planted else [])
            ],
        },
    }
    (expected / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
