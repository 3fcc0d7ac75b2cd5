"""The one query that turns an account snapshot's rows into ``accounts`` rows or reasons.

Input: the relation ``read_batch`` an input kind yields (kinds.py), read against the account
snapshot contract (``schemas/account_snapshot.schema.json``), so its columns are
``line_number, raw, reason, extras`` and one text column per contract field found. Output, for
every row: ``line_number``, ``raw`` (rejected rows only, ID numbers removed), ``reason``, and
the ``accounts`` columns of REALNAME's table (``id_number`` itself never leaves the query:
only whether it was there, the checks' verdict and its keyed hash).

Times are read exactly as event times are (``auditpipe.ingest.normalize.time_columns``: an
offset is honoured, a time without one is in the lake's timezone, daylight-saving gaps are
refused, 1990-2100). ``snapshot_date``: the row's own value (``YYYY-MM-DD``, ``YYYYMMDD`` or a
time, whose date in the lake's timezone counts), else the file's date (``$file_date``: the
--snapshot-date option or a date in the file's name), else the row is quarantined. Its range
is the event times' (1990-2099), not "up to today": a check against the clock would make the
same file's verdict depend on the day it is ingested (and on the machine's clock).

Parameters: ``$unfit_providers`` (as events), ``$file_date`` (DATE or NULL), ``$hmac_inner`` and
``$hmac_outer`` (secret.padded_keys). Values never enter the SQL text.
"""

from __future__ import annotations

from ..contract import Contract
from ..db import quote_identifier, quote_literal
from ..ingest.normalize import (
    EARLIEST,
    FOLDER_NAME_LIMIT,
    LATEST,
    _enum_case,
    _local_midnight,
    _shown,
    text_columns,
    time_columns,
)
from .idcard import SEPARATORS, normalised_sql, problem_sql, redact_free_text_sql, redact_sql
from .secret import hmac_sql

TIME_FIELDS = ("registered_at", "verified_at")


def _time_subquery(timezone: str, name: str) -> str:
    """line_number, ``t_<name>`` (the instant) and ``g_<name>`` (a local time that does not
    exist) for one time field, through the event time's own parsing steps."""
    steps = time_columns(timezone)
    query = f"SELECT line_number, {quote_identifier('v_' + name)} AS v_event_time FROM f"
    for step in steps:
        query = f"SELECT *, {', '.join(step)} FROM ({query})"
    return (
        f"SELECT line_number, t_time AS {quote_identifier('t_' + name)}, "
        f"t_local_gap AS {quote_identifier('g_' + name)}, "
        f"p_unread AS {quote_identifier('z_' + name)}, "
        f"t_gap_zone AS {quote_identifier('w_' + name)} FROM ({query})"
    )


# What a spreadsheet or a database export writes for "no method": nothing but separators
# ("-", "--", "/": stored as "_", a method given) or one of these words.
NO_METHOD = ("none", "null", "nil", "n/a", "无")


def _method_sql(contract: Contract) -> str:
    """The method as stored: NULL when none is given (``NO_METHOD``), else lower-case with
    spaces and dashes as ``_``, the contract's aliases mapped."""
    spec = contract.field("verification_method")
    pairs = sorted(spec.value_map.items())
    norm = "regexp_replace(lower(v_verification_method), '[\\s\\-]+', '_', 'g')"
    none = (
        f"regexp_full_match(v_verification_method, {quote_literal(SEPARATORS)}) "
        f"OR lower(v_verification_method) IN ({', '.join(quote_literal(w) for w in NO_METHOD)})"
    )
    if pairs:
        whens = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in pairs)
        norm = f"coalesce(CASE {norm} {whens} END, {norm})"
    return f"CASE WHEN {none} THEN NULL ELSE {norm} END"


# The values a reason may quote, redacted once per failing row in one list (``q_values``):
# the redaction is a dozen long regular expressions, and DuckDB compiles each one where it is
# written in a query, for every batch; written once per quoted value and check, they were
# most of a snapshot file's ingest time (1.7 s for a 200-row file).
QUOTED = (
    "v_verification_status",
    "o_registered_at",
    "o_verified_at",
    "v_snapshot_date",
    "v_provider_id",
)


def _quoted(col: str) -> str:
    """A value quoted for a reason with its ID-like tokens removed first: cut to its first
    60 characters, a number found only whole could otherwise be left half in clear."""
    return _shown(f"q_values[{QUOTED.index(col) + 1}]")


def _redacted_each(values: list[str], known: str | None = None) -> str:
    """A list of ``values`` (SQL), each with its ID-like tokens removed (``redact_sql``):
    one redaction written in the query for all of them."""
    return f"list_transform([{', '.join(values)}], lambda x: {redact_sql('x', known)})"


def checks(timezone: str) -> list[tuple[str, str]]:
    """(condition, reason) pairs; a row is stored when none holds. A value a reason quotes
    has its ID-like tokens removed (``_quoted``)."""
    found = [
        (f"{quote_identifier('v_' + name)} IS NULL", f"'missing required field {name}'")
        for name in ("provider_id", "account_id", "verification_status")
    ]
    found.append(
        (
            "v_verification_status IS NOT NULL AND e_verification_status IS NULL",
            "'verification_status ' || "
            + _quoted("v_verification_status")
            + " || ' is not one of verified, unverified, pending, rejected, revoked'",
        )
    )
    earliest, latest = _local_midnight(EARLIEST, timezone), _local_midnight(LATEST, timezone)
    for name in TIME_FIELDS:
        v, t, g, z, w = (quote_identifier(p + name) for p in ("v_", "t_", "g_", "z_", "w_"))
        quoted = _quoted(f"o_{name}")  # the time as sent
        found += [
            (
                f"{v} IS NOT NULL AND {t} IS NULL AND {z} IS NULL",
                f"'{name} ' || {quoted} || ' is not a date and time (ISO-8601, "
                "YYYY-MM-DD HH:MM:SS, or epoch seconds or milliseconds)'",
            ),
            (f"{z} IS NOT NULL", f"'{name} ' || {quoted} || {z}"),
            (
                g,
                f"'{name} ' || {quoted} || ' does not exist in ' || {w} || ': clocks skip it "
                "for daylight saving time (send the time with its UTC offset)'",
            ),
            (
                f"{t} < {earliest} OR {t} >= {latest}",
                f"'{name} ' || {quoted} || ' is outside {EARLIEST[:4]}-{LATEST[:4]} in {timezone}'",
            ),
        ]
    found += [
        (
            "v_snapshot_date IS NOT NULL AND d_row IS NULL",
            "'snapshot_date ' || " + _quoted("v_snapshot_date") + " || ' is not a date "
            "(YYYY-MM-DD or YYYYMMDD)'",
        ),
        (
            "v_snapshot_date IS NULL AND $file_date IS NULL",
            "'missing snapshot_date: the row has none, the file''s name holds no date "
            "(YYYY-MM-DD or YYYYMMDD) and no --snapshot-date was given'",
        ),
        (
            f"d_snapshot < DATE {quote_literal(EARLIEST)} OR d_snapshot >= DATE {quote_literal(LATEST)}",
            "'snapshot_date ' || strftime(d_snapshot, '%Y-%m-%d') || ' is outside "
            f"{EARLIEST[:4]}-{LATEST[:4]}'",
        ),
        (
            "list_contains($unfit_providers, v_provider_id)",
            f"'provider_id ' || {_quoted('v_provider_id')} || ' is too long: its lake folder "
            f"name would exceed the file system limit of {FOLDER_NAME_LIMIT} bytes'",
        ),
    ]
    return found


def accounts_sql(contract: Contract, timezone: str) -> str:
    """SELECT over ``read_batch``: see the module docstring. An ID number's birth date after
    the row's snapshot_date fails the checks (the file alone decides, not the day of the
    ingest)."""
    found = checks(timezone)
    status = contract.field("verification_status")
    times = ", ".join(
        f"{quote_identifier('tq_' + n)} AS ({_time_subquery(timezone, n)})" for n in TIME_FIELDS
    )
    time_joins = " ".join(
        f"LEFT JOIN {quote_identifier('tq_' + n)} USING (line_number)" for n in TIME_FIELDS
    )
    failed = ", ".join(f"coalesce({c}, false) AS failed_{i}" for i, (c, _) in enumerate(found))
    any_failed = " OR ".join(f"failed_{i}" for i in range(len(found)))
    # Only a failing row's values are redacted (a reason quotes them), and only its raw text.
    quoted = f"CASE WHEN {any_failed} THEN {_redacted_each(list(QUOTED))} END AS q_values"
    messages = ", ".join(f"CASE WHEN failed_{i} THEN {m} END" for i, (_, m) in enumerate(found))
    row_date = (
        "coalesce(TRY_CAST(v_snapshot_date AS DATE), "
        "TRY_STRPTIME(v_snapshot_date, '%Y%m%d')::DATE, "
        "CAST(timezone(current_setting('TimeZone'), TRY_CAST(v_snapshot_date AS TIMESTAMPTZ)) "
        "AS DATE))"
    )
    return f"""
WITH f AS (
  SELECT line_number, raw, reason AS pre_error, {", ".join(text_columns(contract))}
  FROM read_batch
), {times},
p AS (
  SELECT f.*, {_enum_case(status, "v_verification_status")} AS e_verification_status,
    {", ".join(f"{quote_identifier('t_' + n)}, {quote_identifier('g_' + n)}, {quote_identifier('z_' + n)}, {quote_identifier('w_' + n)}" for n in TIME_FIELDS)},
    {row_date} AS d_row,
    {normalised_sql("v_id_number")} AS n_id
  FROM f {time_joins}
), d AS (
  SELECT *, coalesce(d_row, CASE WHEN v_snapshot_date IS NULL THEN $file_date END) AS d_snapshot
  FROM p
), k AS (
  SELECT *, {problem_sql("n_id", "d_snapshot")} AS id_problem, {failed} FROM d
), q AS (
  SELECT *, {quoted} FROM k
), r AS (
  SELECT *, CASE WHEN pre_error IS NOT NULL THEN pre_error WHEN NOT ({any_failed}) THEN NULL
    ELSE array_to_string(list_filter([{messages}], lambda x: x IS NOT NULL), '; ') END AS why
  FROM q
), s AS (
  SELECT *,
    CASE WHEN why IS NOT NULL THEN {_redacted_each(["raw", "why"], "v_id_number")} END AS rejected
  FROM r
)
SELECT line_number,
  rejected[1] AS raw,
  rejected[2] AS reason,
  v_provider_id AS provider_id,
  v_account_id AS account_id,
  t_registered_at AS registered_at,
  e_verification_status AS verification_status,
  t_verified_at AS verified_at,
  {redact_free_text_sql(_method_sql(contract))} AS verification_method,
  n_id IS NOT NULL AS id_number_present,
  CASE WHEN n_id IS NOT NULL THEN id_problem IS NULL END AS id_number_valid,
  id_problem AS id_number_problem,
  CASE WHEN why IS NULL THEN {hmac_sql("n_id")} END AS identity_hash,
  d_snapshot AS snapshot_date
FROM s
"""
