"""Expected findings ("labels") computed from canonical events by the rules' semantics.

This is a second, independent implementation of what detect must find, in Polars rather than
DuckDB SQL, over the events as the generator made them (before any surface variety or damage),
so that detect's precision and recall can be measured against it. Per event:

- protected: outcome success and at least one data field of a protected class (login,
  identity) in the default catalog;
- self-access: actor_type subject, or actor_id equal to subject_id; never fires;
- leaves: destination external or public; authorized: authorization_ref present;
  paid: amount > 0; broker: destination_party on the broker watchlist.

Rules, over protected events that are not self-access: selling = leaves and (paid or broker);
disclosure = leaves, not selling, and (not authorized or public); modification = update or
delete, not authorized; illegal use, for internal view/search/export by an employee, partner
or unknown actor: _unauthorized = neither authorization_ref nor purpose; _credential = a
credential field; _bulk = the actor's record_count over such events, per provider and local
day, reaches the threshold. One finding per (rule_id, provider_id, actor_id, event_date,
destination_party).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ..contract import load_catalog
from .events import local_date_expr

BULK_THRESHOLD = 1000
RULE_CATEGORIES = {
    "selling": "selling",
    "disclosure": "disclosure",
    "modification": "modification",
    "illegal_use_unauthorized": "illegal_use",
    "illegal_use_credential": "illegal_use",
    "illegal_use_bulk": "illegal_use",
}
KEY = ["rule_id", "provider_id", "actor_id", "event_date", "destination_party"]
LABEL_SCHEMA = {
    "rule_id": pl.String,
    "category": pl.String,
    "provider_id": pl.String,
    "actor_id": pl.String,
    "event_date": pl.Date,
    "destination_party": pl.String,
    "planted_case": pl.String,
}


class GeneratorBug(AssertionError):
    """The generator's own consistency check failed (its planted cases or background traffic
    do not produce the findings they claim). Not a user error: report it."""


class LabelAccumulator:
    """Feed it canonical events chunk by chunk (originals only: no malformed rows, no
    re-sent copies); ``labels()`` returns the expected findings of everything fed."""

    def __init__(self, brokers: Sequence[str] = (), bulk_threshold: int = BULK_THRESHOLD):
        catalog = load_catalog()
        self._classes = {e.name: e.data_class for e in catalog.entries}
        self._categories = {e.name: e.category for e in catalog.entries}
        self._protected = list(catalog.protected_classes)
        self._brokers = list(brokers)
        self._threshold = bulk_threshold
        self._direct: list[pl.DataFrame] = []
        self._bulk: list[pl.DataFrame] = []

    def add(self, events: pl.DataFrame) -> None:
        c = pl.col
        classes = c("data_fields").list.eval(
            pl.element().replace_strict(self._classes, default="other", return_dtype=pl.String)
        )
        categories = c("data_fields").list.eval(
            pl.element().replace_strict(self._categories, default="other", return_dtype=pl.String)
        )
        flagged = (
            events.lazy()
            .with_columns(
                protected=(c("outcome") == "success")
                & classes.list.eval(pl.element().is_in(self._protected)).list.any(),
                self_access=(c("actor_type") == "subject")
                | (c("actor_id") == c("subject_id")).fill_null(False),
            )
            .filter(c("protected") & ~c("self_access"))
            .with_columns(
                event_date=local_date_expr(c("time_s")),
                leaves=c("destination_type").is_in(["external", "public"]),
                authorized=c("authorization_ref").is_not_null(),
                paid=c("amount_cents").fill_null(0) > 0,
                broker=c("destination_party").is_in(self._brokers).fill_null(False),
                credential=categories.list.contains("credential"),
                use=c("action").is_in(["view", "search", "export"])
                & (c("destination_type") == "internal")
                & c("actor_type").is_in(["employee", "partner", "unknown"]),
            )
            .with_columns(selling=c("leaves") & (c("paid") | c("broker")))
            .collect()
        )
        rules = {
            "selling": c("selling"),
            "disclosure": c("leaves")
            & ~c("selling")
            & (~c("authorized") | (c("destination_type") == "public")),
            "modification": c("action").is_in(["update", "delete"]) & ~c("authorized"),
            "illegal_use_unauthorized": c("use") & ~c("authorized") & c("purpose").is_null(),
            "illegal_use_credential": c("use") & c("credential"),
        }
        keep = [*KEY[1:], "planted_case"]
        for rule_id, condition in rules.items():
            hits = flagged.filter(condition).select(pl.lit(rule_id).alias("rule_id"), *keep)
            if hits.height:
                self._direct.append(hits.unique(maintain_order=True))
        use = flagged.filter(c("use"))
        if use.height:
            # one bulk finding per actor-day, with no destination_party, whatever parties
            # the reads name (as the rule groups them)
            self._bulk.append(
                use.group_by(["provider_id", "actor_id", "event_date"], maintain_order=True).agg(
                    records=c("record_count").sum(),
                    planted_case=c("planted_case").drop_nulls().first(),
                )
            )

    def labels(self) -> pl.DataFrame:
        c = pl.col
        frames = [f.select(KEY + ["planted_case"]) for f in self._direct]
        if self._bulk:
            days = (
                pl.concat(self._bulk)
                .group_by(["provider_id", "actor_id", "event_date"])
                .agg(
                    records=c("records").sum(),
                    planted_case=c("planted_case").drop_nulls().first(),
                )
                .filter(c("records") >= self._threshold)
            )
            frames.append(
                days.select(
                    pl.lit("illegal_use_bulk").alias("rule_id"),
                    "provider_id",
                    "actor_id",
                    "event_date",
                    pl.lit(None, pl.String).alias("destination_party"),
                    "planted_case",
                )
            )
        if not frames:
            return pl.DataFrame(schema=LABEL_SCHEMA)
        found = pl.concat(frames).unique()
        per_key = found.group_by(KEY).agg(cases=c("planted_case").n_unique())
        if per_key.height != found.height:
            raise GeneratorBug("one finding is evidenced by events of two planted cases")
        return (
            found.with_columns(category=c("rule_id").replace_strict(RULE_CATEGORIES))
            .select(list(LABEL_SCHEMA))
            .sort(
                [
                    "planted_case",
                    "rule_id",
                    "provider_id",
                    "actor_id",
                    "event_date",
                    "destination_party",
                ],
                nulls_last=True,
            )
        )


def check_against_plan(labels: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Fail loudly unless the computed findings are exactly the ones the planted cases
    promise: nothing from background traffic, nothing missing, nothing extra."""
    background = labels.filter(pl.col("planted_case").is_null())
    if background.height:
        raise GeneratorBug(
            f"background traffic produces {background.height} finding(s), e.g. "
            f"{background.head(3).to_dicts()}"
        )
    cols = [*KEY, "planted_case"]
    missing = expected.select(cols).join(labels.select(cols), on=cols, how="anti", nulls_equal=True)
    extra = labels.select(cols).join(expected.select(cols), on=cols, how="anti", nulls_equal=True)
    if missing.height or extra.height:
        raise GeneratorBug(
            f"planted cases disagree with the rules' semantics: missing {missing.to_dicts()[:5]}, "
            f"unexpected {extra.to_dicts()[:5]}"
        )
