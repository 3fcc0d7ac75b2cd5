"""Surface variety: the many ways real providers write the same canonical event.

``spell_values`` turns a chunk of canonical rows into one text cell per contract field
(``r_<field>``, null when the field is absent) plus, for BARE_FIELDS, a flag telling JSON
rendering to write it bare (``bare_<field>``: numbers and arrays). Choices are drawn per row: time forms (ISO with
an offset, with Z, without an offset, ``YYYY-MM-DD HH:MM:SS``, epoch seconds or milliseconds,
as numbers or digit strings), data_fields as a JSON array or a ``;`` ``,`` ``|`` string with
odd spellings of field names, enum aliases from the contract in mixed case and with spaces,
absent optional fields and defaults left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from ..contract import load_contract
from .events import LAKE_TIMEZONE

# Contract fields and the extras the generator adds, in the order they are written.
FIELDS = (
    "event_id", "event_time", "provider_id", "provider_type", "system", "actor_id",
    "actor_type", "action", "subject_id", "record_count", "data_fields", "destination_type",
    "destination_party", "authorization_ref", "purpose", "amount", "currency", "outcome",
    "source_ip", "session_ua", "request_id",
)  # fmt: skip
EXTRAS = ("session_ua", "request_id")
# Fields JSON may write bare (numbers, arrays); ``bare_<field>`` says when. Others are strings.
BARE_FIELDS = ("event_time", "record_count", "data_fields", "amount")
ENUM_FIELDS = ("provider_type", "actor_type", "action", "destination_type", "outcome")
# Canonical value each optional field may be left out for (ingest fills the default in).
DEFAULTS = {"actor_type": "unknown", "destination_type": "internal", "outcome": "success"}

TIME_FORMS = (  # (name, weight); epoch forms are bare numbers in JSON
    ("iso_offset", 0.25), ("iso_z", 0.15), ("iso_z_millis", 0.05), ("iso_naive", 0.10),
    ("space_naive", 0.20), ("epoch_s", 0.12), ("epoch_ms", 0.10), ("epoch_s_text", 0.03),
)  # fmt: skip
VARIANT_SHARE = 0.25  # share of enum values written as an alias or odd spelling


def key_spellings(name: str) -> list[str]:
    """Ways a provider spells a field name that the contract still matches."""
    return [
        name.title(),  # Actor_Type
        name.upper(),  # ACTOR_TYPE
        f" {name} ",  # " actor_type "
        name.replace("_", "-"),  # actor-type
        name.replace("_", " ").title(),  # Actor Type
    ]


def value_spellings(field: str) -> dict[str, list[str]]:
    """Every canonical enum value of ``field`` -> its other accepted spellings."""
    spec = load_contract().field(field)
    out: dict[str, list[str]] = {}
    for value in spec.enum or ():
        aliases = sorted(k for k, v in spec.aliases.items() if v == value)
        out[value] = [*aliases, value.upper(), value.title(), f" {value} "]
        out[value] += [a.replace("_", "-").title() for a in aliases if "_" in a]
    return out


class Draws:
    """Uniform draws for one chunk, as Polars Series, in a fixed order (determinism)."""

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng, self.n = rng, n

    def u(self) -> pl.Series:
        return pl.Series(self.rng.random(self.n))

    def cut(self) -> pl.Series:
        """How many characters to cut off a line: 1 to 19."""
        return pl.Series(self.rng.integers(1, 20, self.n))

    def code(self, weights: tuple[float, ...] | list[float]) -> np.ndarray:
        """An option index per row, 0..len(weights)-1, drawn with these weights."""
        cum = np.cumsum(weights) / np.sum(weights)
        return np.minimum(np.searchsorted(cum, self.rng.random(self.n), side="right"), len(cum) - 1)

    def choice(self, weights: list[float]) -> np.ndarray:
        """An option index per row, drawn as ``pick`` draws it (same stream, same result)."""
        return self.rng.choice(len(weights), size=self.n, p=np.array(weights) / np.sum(weights))

    def pick(
        self, options: list[str] | tuple[str, ...], weights: list[float] | None = None
    ) -> pl.Series:
        p = None if weights is None else np.array(weights) / np.sum(weights)
        idx = self.rng.choice(len(options), size=self.n, p=p)
        return pl.Series(list(options), dtype=pl.String).gather(idx)


def _spell_enum(col: pl.Expr, field: str, d: Draws) -> pl.Expr:
    """``col`` (canonical values), with VARIANT_SHARE of rows spelled another accepted way.

    Spellings sit in one flat table, ``SLOTS`` per value (cycled to fill), so a row's
    spelling is one integer gather: value code * SLOTS + slot."""
    table = value_spellings(field)
    values = sorted(table)
    flat = [table[v][i % len(table[v])] for v in values for i in range(_SLOTS)]
    code = col.replace_strict({v: i for i, v in enumerate(values)}, return_dtype=pl.Int64)
    slot = pl.lit(pl.Series(d.rng.integers(0, _SLOTS, d.n)))
    variant = pl.lit(pl.Series(flat, dtype=pl.String)).gather(code * _SLOTS + slot)
    return pl.when(pl.lit(d.u()) < VARIANT_SHARE).then(variant).otherwise(col)


_SLOTS = 12  # more than any value has spellings


def _time_cells(d: Draws, family: str) -> tuple[pl.Expr, pl.Expr]:
    names = [n for n, _ in TIME_FORMS]
    form = pl.lit(d.pick(names, [w for _, w in TIME_FORMS]))
    utc = pl.from_epoch(pl.col("time_s"), time_unit="s").dt.replace_time_zone("UTC")
    # Two formatting passes; every other form is cut or pasted from them.
    local = utc.dt.convert_time_zone(LAKE_TIMEZONE).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
    utc_text = utc.dt.strftime("%Y-%m-%dT%H:%M:%S")
    naive = local.str.slice(0, 19)
    text = (
        pl.when(form == "iso_offset").then(local)
        .when(form == "iso_z").then(utc_text + "Z")
        .when(form == "iso_z_millis").then(utc_text + ".000Z")
        .when(form == "iso_naive").then(naive)
        .when(form == "space_naive").then(naive.str.replace("T", " ", literal=True))
        .when(form == "epoch_ms").then((pl.col("time_s") * 1000).cast(pl.String))
        .otherwise(pl.col("time_s").cast(pl.String))
    )  # fmt: skip
    bare = form.is_in(["epoch_s", "epoch_ms"]) & pl.lit(family == "json")
    return text, bare


_SEP = "\x02"  # joins field names while their spelling is varied; never in a name


_NAME_STYLES = (  # how a row spells its field names: share, transformation
    (0.85, None),
    (0.05, lambda t: t.str.to_uppercase()),  # REAL_NAME
    (0.05, lambda t: t.str.replace_all("_", "-", literal=True)),  # real-name
    (0.05, lambda t: t.str.replace_all("_", " ", literal=True).str.to_titlecase()),  # Real Name
)
_JSON_FORMS = (("array", 0.5), (";", 0.15), (",", 0.15), ("|", 0.1), ("; ", 0.1))
_TEXT_FORMS = ((";", 0.35), (",", 0.25), ("|", 0.2), ("; ", 0.1), (", ", 0.1))


def _restyle(values: pl.Series, codes: np.ndarray, styles: list[Any]) -> pl.Series:
    """``values`` with ``styles[k]`` applied to the rows whose code is k; each
    transformation runs only on its own rows (most rows keep the plain form)."""
    for k, transform in enumerate(styles):
        rows = np.flatnonzero(codes == k)
        if transform is not None and len(rows):
            values = values.scatter(rows, transform(values.gather(rows)))
    return values


def _as_json_array(names: pl.Series) -> pl.Series:
    return '["' + names.str.replace_all(_SEP, '", "', literal=True) + '"]'


def _joined_by(sep: str) -> Callable[[pl.Series], pl.Series]:
    def join(names: pl.Series) -> pl.Series:
        return names.str.replace_all(_SEP, sep, literal=True)

    return join


def _data_field_cells(rows: pl.DataFrame, d: Draws, family: str) -> tuple[pl.Series, pl.Series]:
    joined = rows["data_fields"].list.join(_SEP)
    names = _restyle(joined, d.choice([w for w, _ in _NAME_STYLES]), [t for _, t in _NAME_STYLES])
    forms = _JSON_FORMS if family == "json" else _TEXT_FORMS
    codes = d.choice([w for _, w in forms])
    styles = [_as_json_array if form == "array" else _joined_by(form) for form, _ in forms]
    return _restyle(names, codes, styles), pl.Series(codes == 0) & (family == "json")


def _amount_text(cents: pl.Expr) -> pl.Expr:
    whole = (cents.abs() // 100).cast(pl.String)
    frac = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + whole + pl.when(frac == "00").then(pl.lit("")).otherwise("." + frac)


def spell_values(rows: pl.DataFrame, rng: np.random.Generator, family: str) -> pl.DataFrame:
    """``r_<field>``/``bare_<field>`` cells for ``rows`` (canonical columns), see module doc."""
    d = Draws(rng, rows.height)
    c = pl.col
    time_text, time_bare = _time_cells(d, family)
    fields_text, fields_bare = _data_field_cells(rows, d, family)
    cells: dict[str, pl.Expr] = {
        "r_event_id": c("event_id"),
        "r_event_time": time_text,
        "bare_event_time": time_bare,
        "r_provider_id": c("provider_id"),
        "r_system": pl.when(pl.lit(d.u()) < 0.95).then(c("system")),
        "r_actor_id": c("actor_id"),
        "r_subject_id": c("subject_id"),
        "r_data_fields": pl.lit(fields_text),
        "bare_data_fields": pl.lit(fields_bare),
        "r_destination_party": c("destination_party"),
        "r_authorization_ref": c("authorization_ref"),
        "r_purpose": c("purpose"),
        "r_source_ip": c("source_ip"),
        "r_session_ua": c("session_ua"),
        "r_request_id": c("request_id"),
    }
    for field in ENUM_FIELDS:
        spelled = _spell_enum(c(field), field, d)
        if field == "provider_type":
            spelled = pl.when(pl.lit(d.u()) < 0.8).then(spelled)
        elif field in DEFAULTS:
            spelled = (
                pl.when((c(field) == DEFAULTS[field]) & (pl.lit(d.u()) < 0.5))
                .then(pl.lit(None, pl.String))
                .otherwise(spelled)
            )
        cells[f"r_{field}"] = spelled
    # record_count: left out when 1 half the time; a JSON number mostly, else a digit string.
    cells["r_record_count"] = (
        pl.when((c("record_count") == 1) & (pl.lit(d.u()) < 0.5))
        .then(pl.lit(None, pl.String))
        .otherwise(c("record_count").cast(pl.String))
    )
    cells["bare_record_count"] = pl.lit(d.u()) < 0.85
    cells["r_amount"] = _amount_text(c("amount_cents"))
    cells["bare_amount"] = pl.lit(d.u()) < 0.7
    cells["r_currency"] = (
        pl.when(pl.lit(d.u()) < 0.1).then(c("currency").str.to_lowercase()).otherwise(c("currency"))
    )
    return rows.select(**cells)
