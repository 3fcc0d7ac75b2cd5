"""Background traffic, built a chunk at a time with numpy draws and Polars columns.

Rows are laid out on a line of positions 0..n-1 spread evenly over the period, so each chunk
covers its own slice of time and every file comes out roughly in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from . import vocab
from .events import CANONICAL_SCHEMA
from .providers import Provider
from .templates import BLOCK_MAX_RECORDS, TEMPLATES, Template

BULK_THRESHOLD = 1000  # the detect default the labels are computed against
BLOCK_ROWS = 100
# A block actor meets at most two of its blocks on one day (see Layout), so its day total is
# at most this; keep it clearly under the bulk threshold.
assert 2 * BLOCK_ROWS * BLOCK_MAX_RECORDS < BULK_THRESHOLD


@dataclass(frozen=True)
class Layout:
    """Where background rows sit: positions 0..rows-1 spread evenly over ``days`` days."""

    rows: int
    days: int
    start_s: int  # UTC epoch seconds of the period's first local midnight

    @property
    def span_s(self) -> int:
        return self.days * 86400

    @property
    def actor_pool(self) -> int:
        """Block actors per kind. Blocks of one actor are ``actor_pool * BLOCK_ROWS`` positions
        apart, more than a day's worth of positions plus a block, so a day meets at most one
        whole block of each actor (two allowing for rounding)."""
        per_day = math.ceil(self.rows / self.days)
        return max(20, math.ceil((per_day + BLOCK_ROWS) / BLOCK_ROWS) + 1)

    @property
    def subject_pool(self) -> int:
        return max(100_000, self.rows)

    def times(self, positions: np.ndarray, jitter: np.ndarray) -> np.ndarray:
        """Epoch seconds of rows at ``positions`` (jitter in [0, 1) spreads them in a slot)."""
        offset = np.floor((positions + jitter) * (self.span_s / max(self.rows, 1)))
        return self.start_s + offset.astype(np.int64)


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Ids like ``emp-000123`` from an array of numbers, without a Python loop."""
    digits = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return pl.select(pl.lit(prefix) + digits).to_series()


def choose(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> pl.Series:
    return pl.Series(list(options), dtype=pl.String).gather(rng.integers(0, len(options), n))


def constant(value: str, n: int) -> pl.Series:
    return pl.repeat(value, n, dtype=pl.String, eager=True)


def only_where(mask: np.ndarray, values: pl.Series) -> pl.Series:
    """``values`` where ``mask`` holds, null elsewhere."""
    return pl.select(pl.when(pl.Series(mask)).then(values)).to_series()


@cache
def _hex_words() -> pl.Series:
    """0..65535 in lower-case hex, the groups of an IPv6 address."""
    return pl.Series([format(i, "x") for i in range(65536)], dtype=pl.String)


def ip_addresses(rng: np.random.Generator, n: int) -> pl.Series:
    """A mix of IPv4 (mostly) and IPv6 addresses, some absent."""
    octets = [pl.Series(rng.integers(1, 255, n)).cast(pl.String) for _ in range(4)]
    first = choose(rng, ("10", "36", "58", "101", "114", "183", "223"), n)
    v4 = pl.select(pl.concat_str([first, *octets[1:]], separator=".")).to_series()
    groups = [pl.Series(rng.integers(0, 65536, n)) for _ in range(3)]
    hexes = [_hex_words().gather(g) for g in groups]
    v6 = pl.select(
        pl.concat_str([pl.lit("240e"), hexes[0], hexes[1], pl.lit(""), hexes[2]], separator=":")
    ).to_series()
    kind = rng.random(n)
    out = pl.select(pl.when(pl.Series(kind < 0.8)).then(v4).otherwise(v6)).to_series()
    return only_where(kind < 0.95, out)


def build_background(
    rng: np.random.Generator,
    positions: np.ndarray,
    providers: list[Provider],
    layout: Layout,
) -> pl.DataFrame:
    """Canonical background events at ``positions`` (sorted), without event ids."""
    n = len(positions)
    weights = np.array([p.weight for p in providers])
    prov = rng.choice(len(providers), size=n, p=weights / weights.sum())
    template_of = np.empty(n, dtype=np.int64)
    ptypes = np.array([p.provider_type for p in providers])[prov]
    for ptype in ("iasp", "iisp"):
        rows = np.flatnonzero(ptypes == ptype)
        w = np.array([t.weight_iasp if ptype == "iasp" else t.weight_iisp for t in TEMPLATES])
        template_of[rows] = rng.choice(len(TEMPLATES), size=len(rows), p=w / w.sum())

    parts = []
    for i, template in enumerate(TEMPLATES):
        rows = np.flatnonzero(template_of == i)
        if len(rows):
            parts.append(_template_rows(rng, template, rows, positions[rows], layout))
    body = pl.concat(parts).sort("row").drop("row")

    system_lists = pl.Series([list(p.systems) for p in providers], dtype=pl.List(pl.String))
    frame = pl.DataFrame(
        {
            "time_s": layout.times(positions, rng.random(n)),
            "provider_id": pl.Series([p.provider_id for p in providers]).gather(prov),
            "provider_type": pl.Series(ptypes),
            "systems": system_lists.gather(prov),
            "pick": rng.random(n),
            "source_ip": ip_addresses(rng, n),
            "session_ua": only_where(rng.random(n) < 0.4, choose(rng, vocab.USER_AGENTS, n)),
            "request_id": only_where(
                rng.random(n) < 0.15, numbered("req-", rng.integers(0, 10**12, n), 12)
            ),
        }
    )
    system = (pl.col("pick") * pl.col("systems").list.len()).floor().cast(pl.Int64)
    frame = frame.with_columns(system=pl.col("systems").list.get(system)).drop("systems", "pick")
    out = pl.concat([frame, body], how="horizontal").with_columns(
        event_id=pl.lit(None, pl.String), planted_case=pl.lit(None, pl.String)
    )
    return out.select([pl.col(c).cast(t) for c, t in CANONICAL_SCHEMA.items()])


def _template_rows(
    rng: np.random.Generator,
    t: Template,
    rows: np.ndarray,
    positions: np.ndarray,
    layout: Layout,
) -> pl.DataFrame:
    n = len(rows)
    subjects = numbered("u", rng.integers(0, layout.subject_pool, n), 9)
    block = positions // BLOCK_ROWS % layout.actor_pool
    if t.actor == "subject":
        # Most self-access says so; some only shows it by actor_id == subject_id.
        actor_id = subjects
        actor_type = only_where(rng.random(n) < 0.9, constant("subject", n)).fill_null("unknown")
    elif t.actor in ("employee_block", "partner_block"):
        prefix = "emp-" if t.actor == "employee_block" else "ptn-"
        actor_id = numbered(prefix, block, 6)
        actor_type = constant("employee" if prefix == "emp-" else "partner", n)
    elif t.actor in ("employee", "partner"):
        prefix = "emp-" if t.actor == "employee" else "ptn-"
        actor_id = numbered(prefix, rng.integers(0, layout.actor_pool, n), 6)
        actor_type = constant(t.actor, n)
    elif t.actor == "service":
        actor_id = choose(rng, t.services, n)
        actor_type = constant("service", n)
    else:  # job: a batch job nobody registered, actor_type unknown
        actor_id = numbered("job-", rng.integers(0, 200, n), 4)
        actor_type = constant("unknown", n)

    field_sets = pl.Series([list(fs) for fs in t.field_sets], dtype=pl.List(pl.String))
    destination = choose(rng, t.destinations, n)
    leaves = destination != "internal"
    party = only_where(leaves.to_numpy(), choose(rng, t.parties or ("none",), n))
    has_auth = rng.random(n) < t.authorization
    has_purpose = rng.random(n) < t.purpose
    if t.auth_or_purpose:
        has_purpose |= ~has_auth
    amount_draw = rng.random(n)
    cents = rng.integers(100_00, 5_000_00, n)
    amount = np.where(amount_draw < t.paid, cents, 0)
    amount_present = amount_draw < t.paid + t.zero_amount
    currency_present = amount_present & (rng.random(n) < 0.7)
    outcome = np.where(rng.random(n) < t.failure, "failure", "success")
    lo, hi = t.records
    return pl.DataFrame(
        {
            "row": rows,
            "actor_id": actor_id,
            "actor_type": actor_type,
            "action": choose(rng, t.actions, n),
            "subject_id": subjects
            if t.has_subject
            else pl.repeat(None, n, dtype=pl.String, eager=True),
            "record_count": rng.integers(lo, hi + 1, n),
            "data_fields": field_sets.gather(rng.integers(0, len(t.field_sets), n)),
            "destination_type": destination,
            "destination_party": party,
            "authorization_ref": only_where(
                has_auth,
                pl.select(
                    choose(rng, vocab.AUTH_PREFIXES, n) + numbered("", rng.integers(0, 10**7, n), 7)
                ).to_series(),
            ),
            "purpose": only_where(has_purpose, choose(rng, vocab.PURPOSES, n)),
            "amount_cents": only_where(amount_present, pl.Series(amount)),
            "currency": only_where(currency_present, constant("CNY", n)),
            "outcome": pl.Series(outcome),
        }
    )
