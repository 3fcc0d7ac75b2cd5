"""The one query that turns raw rows into canonical events or quarantine reasons.

Every format is first shaped into a relation ``src(line_number, raw, pre_error, <field
expressions>)``: ``raw`` is the row's original text, ``pre_error`` a reason found while reading
(not UTF-8, not JSON, wrong CSV column count ...), and for each contract field an expression
giving its text (JSON value, CSV cell, Parquet cell). This module builds, from the contract in
``schemas/``, the SQL that trims, maps aliases, parses times, checks every rule and produces
either typed columns or a ``reason`` a person can read. The SQL is plain text built from the
contract and the catalog (both escaped through ``sql_string``); row values never enter it.
"""

from __future__ import annotations

from ..contract import Catalog, Contract, FieldSpec
from ..views import quote_identifier, sql_string

EPOCH_MS_FROM = 100_000_000_000  # |n| at or above this is epoch milliseconds (year 5138 in s)
EARLIEST, LATEST = "1990-01-01", "2100-01-01"
IPV4 = r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV6 = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:" + IPV4 + r")?(%[0-9A-Za-z]+)?"
NAME_SEPARATORS = r"[\s\-]+"


def _norm_name_sql(expr: str) -> str:
    return f"regexp_replace(lower(trim({expr})), {sql_string(NAME_SEPARATORS)}, '_', 'g')"


def _trimmed(expr: str) -> str:
    """Surrounding spaces removed; trim() is costly, so only values that have them pay."""
    return (
        f"(CASE WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') "
        f"THEN trim({expr}) ELSE {expr} END)"
    )


def _shown(col: str) -> str:
    """A value quoted for a reason sentence, cut to 60 characters."""
    return f"'''' || left({col}, 60) || ''''"


def _enum_case(spec: FieldSpec, col: str) -> str:
    whens = " ".join(
        f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in sorted(spec.value_map.items())
    )
    # Most values are already plain lower-case words; only the rest pay for the regex.
    return f"coalesce(CASE lower({col}) {whens} END, CASE {_norm_name_sql(col)} {whens} END)"


def _map_literal(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "MAP {}::MAP(VARCHAR, VARCHAR)"
    body = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in pairs)
    return f"MAP {{{body}}}"


def normalize_sql(
    src: str, field_exprs: dict[str, str], extras_expr: str, contract: Contract, catalog: Catalog
) -> str:
    """SELECT over ``src`` returning line_number, raw (kept for rejected rows only), reason
    and the canonical columns.

    ``field_exprs`` maps contract field name -> a VARCHAR SQL expression over ``src`` giving
    the field's text as found (this query trims it; absent fields may be left out). The session TimeZone must be the lake's timezone: times without
    an offset are read in it, and event_date is the date there.
    """
    q = quote_identifier
    text_cols = []
    for spec in contract.fields:
        expr = field_exprs.get(spec.name)
        value = f"nullif({_trimmed(expr)}, '')" if expr else "CAST(NULL AS VARCHAR)"
        text_cols.append(f"{value} AS {q('v_' + spec.name)}")

    enum_cols = []
    for spec in contract.fields:
        if spec.enum:
            enum_cols.append(f"{_enum_case(spec, q('v_' + spec.name))} AS {q('e_' + spec.name)}")

    class_map = _map_literal([(e.name, e.data_class) for e in catalog.entries])
    category_map = _map_literal([(e.name, e.category) for e in catalog.entries])
    t = '"v_event_time"'
    # (condition, reason) pairs; a row is stored when no condition holds.
    checks: list[tuple[str, str]] = []
    for spec in contract.fields:
        v = q("v_" + spec.name)
        if spec.required:
            checks.append((f"{v} IS NULL", f"'missing required field {spec.name}'"))
        if spec.enum:
            allowed = ", ".join(spec.enum)
            checks.append(
                (
                    f"{v} IS NOT NULL AND {q('e_' + spec.name)} IS NULL",
                    f"'{spec.name} ' || {_shown(v)} || ' is not one of {allowed}'",
                )
            )
    checks += [
        (
            f"{t} IS NOT NULL AND t_time IS NULL",
            f"'event_time ' || {_shown(t)} || ' is not a date and time (ISO-8601, "
            "YYYY-MM-DD HH:MM:SS, or epoch seconds or milliseconds)'",
        ),
        (
            f"t_time < TIMESTAMPTZ '{EARLIEST} 00:00:00+00' OR "
            f"t_time >= TIMESTAMPTZ '{LATEST} 00:00:00+00'",
            f"'event_time ' || {_shown(t)} || ' is outside {EARLIEST[:4]}-{LATEST[:4]}'",
        ),
        (
            "v_data_fields IS NOT NULL AND len(t_fields) = 0",
            "'data_fields ' || " + _shown("v_data_fields") + " || ' names no field'",
        ),
        (
            "v_record_count IS NOT NULL AND t_record_count IS NULL",
            "'record_count ' || "
            + _shown("v_record_count")
            + " || ' is not a whole number of at least 1'",
        ),
        (
            "v_amount IS NOT NULL AND t_amount IS NULL",
            "'amount ' || "
            + _shown("v_amount")
            + " || CASE WHEN TRY_CAST(v_amount AS DOUBLE) < 0 THEN ' is negative' "
            "ELSE ' is not a decimal number of at least 0' END",
        ),
        (
            "v_currency IS NOT NULL AND NOT regexp_full_match(upper(v_currency), '[A-Z]{3}')",
            "'currency ' || " + _shown("v_currency") + " || ' is not an ISO 4217 code'",
        ),
        (
            "v_source_ip IS NOT NULL AND NOT (regexp_full_match(v_source_ip, "
            + sql_string(IPV4)
            + ") OR regexp_full_match(v_source_ip, "
            + sql_string(IPV6)
            + "))",
            "'source_ip ' || " + _shown("v_source_ip") + " || ' is not an IPv4 or IPv6 address'",
        ),
    ]
    any_failed = " OR ".join(f"coalesce({cond}, false)" for cond, _ in checks)
    messages = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for cond, msg in checks)
    # Building the sentence is costly, so only rows that failed a check pay for it.
    reason = (
        f"CASE WHEN pre_error IS NOT NULL THEN pre_error WHEN NOT ({any_failed}) THEN NULL "
        f"ELSE array_to_string(list_filter([{messages}], lambda x: x IS NOT NULL), '; ') END"
    )
    derived_id = (
        "v_provider_id || '-' || left(md5(to_json(struct_pack("
        "t := t_time, p := v_provider_id, pt := e_provider_type, s := v_system, a := v_actor_id, "
        "at := coalesce(e_actor_type, 'unknown'), ac := e_action, su := v_subject_id, "
        "rc := coalesce(t_record_count, 1), f := t_fields, dt := coalesce(e_destination_type, 'internal'), "
        "dp := v_destination_party, ar := v_authorization_ref, pu := v_purpose, am := t_amount, "
        "cu := coalesce(upper(v_currency), 'CNY'), o := coalesce(e_outcome, 'success'), ip := v_source_ip"
        ")::VARCHAR)), 24)"
    )
    epoch = (
        f"CASE WHEN abs(TRY_CAST({t} AS HUGEINT)) >= {EPOCH_MS_FROM} "
        f"THEN TRY(to_timestamp(TRY_CAST({t} AS HUGEINT) / 1000.0)) "
        f"ELSE TRY(to_timestamp(TRY_CAST({t} AS HUGEINT)::DOUBLE)) END"
    )
    return f"""
WITH f AS (
  SELECT line_number, raw, pre_error, {extras_expr} AS extras,
         {", ".join(text_cols)}
  FROM {src}
), e AS (
  SELECT *, {", ".join(enum_cols)},
    coalesce(TRY_CAST({t} AS TIMESTAMPTZ),
             CASE WHEN regexp_full_match({t}, '[+-]?[0-9]{{1,19}}') THEN {epoch} END) AS t_time,
    list_filter(list_transform(
        CASE WHEN (CASE WHEN starts_with(v_data_fields, '[') AND json_valid(v_data_fields)
                        THEN json_type(v_data_fields) END) = 'ARRAY'
             THEN json_extract_string(v_data_fields, '$[*]')
             ELSE regexp_split_to_array(v_data_fields, '[;,|]') END,
        lambda x: {_norm_name_sql("x")}), lambda x: x IS NOT NULL AND x <> '') AS t_fields,
    CASE WHEN regexp_full_match(v_record_count, '\\+?[0-9]{{1,18}}(\\.0*)?')
              AND TRY_CAST(TRY_CAST(v_record_count AS DOUBLE) AS BIGINT) >= 1
         THEN TRY_CAST(TRY_CAST(v_record_count AS DOUBLE) AS BIGINT) END AS t_record_count,
    CASE WHEN TRY_CAST(v_amount AS DOUBLE) >= 0 AND isfinite(TRY_CAST(v_amount AS DOUBLE))
         THEN TRY_CAST(v_amount AS DECIMAL(18,4)) END AS t_amount
  FROM f
), r AS (
  SELECT *, {reason} AS reason FROM e
)
SELECT line_number, CASE WHEN reason IS NOT NULL THEN raw END AS raw, reason,
  v_provider_id AS provider_id,
  CASE WHEN v_event_id IS NOT NULL THEN v_event_id ELSE {derived_id} END AS event_id,
  t_time AS event_time,
  e_provider_type AS provider_type,
  v_system AS system,
  v_actor_id AS actor_id,
  coalesce(e_actor_type, 'unknown') AS actor_type,
  e_action AS action,
  v_subject_id AS subject_id,
  coalesce(t_record_count, 1) AS record_count,
  t_fields AS data_fields,
  list_sort(list_distinct(list_transform(t_fields,
      lambda x: coalesce(map_extract_value({class_map}, x), 'other')))) AS data_classes,
  list_sort(list_distinct(list_transform(t_fields,
      lambda x: coalesce(map_extract_value({category_map}, x), 'other')))) AS data_categories,
  coalesce(e_destination_type, 'internal') AS destination_type,
  v_destination_party AS destination_party,
  v_authorization_ref AS authorization_ref,
  v_purpose AS purpose,
  t_amount AS amount,
  coalesce(upper(v_currency), 'CNY') AS currency,
  coalesce(e_outcome, 'success') AS outcome,
  v_source_ip AS source_ip,
  extras,
  v_event_id IS NULL AS event_id_derived,
  CAST(timezone(current_setting('TimeZone'), t_time) AS DATE) AS event_date
FROM r
"""
