-- Terms shared by every default rule, defined once (issue 3, "What counts").
--
-- The detect engine runs this script once per run, after it has created:
--   events            the lake's events, restricted to the days being evaluated
--   detect_settings   one row of settings: protected_classes, credential_categories,
--                     bulk_threshold, severity steps (see `auditpipe rules list` footer)
--   broker_watchlist  name: the data-broker watchlist, trimmed and lower-cased
-- Rules then select from the objects below. Nothing here holds a literal threshold: every
-- tunable value comes from detect_settings, which the engine fills with bound parameters.
-- The terms read the lists they test against through getvariable(): the engine sets the
-- variables protected_classes, credential_categories and broker_watchlist from the same
-- bound values, and DuckDB folds them into constants when it plans a query, so the filters
-- below are pushed into the Parquet scan (a join with detect_settings would instead make
-- DuckDB decode every column of every row before filtering; measured 1.5x slower).

-- has_any_of(items, wanted): does the list items hold any value of the list wanted?
-- (list_has_any, written with a lambda because DuckDB runs that several times faster here)
CREATE OR REPLACE TEMP MACRO has_any_of(items, wanted) AS
    len(list_filter(items, lambda item: list_contains(wanted, item))) > 0;
-- White space is every character Python's str.strip() removes, as the watchlist's names are
-- trimmed: the ASCII spaces and control spaces (tab, line breaks, \x1c-\x1f), U+0085 and the
-- Unicode separators. DuckDB's trim() alone removes only the separators, so a tab-only
-- authorization_ref counted as an authorization and a tab-padded broker was not matched.
-- The first and last characters are tested by code (cheap); a regex runs only when one is a
-- space (trim() with a list of characters costs 20 times as much on every value).
CREATE OR REPLACE TEMP MACRO is_space_code(code) AS code IN (
    9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197,
    8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288
);
-- has_text(text): text holds something besides white space (NULL and '' hold nothing)
CREATE OR REPLACE TEMP MACRO has_text(text) AS CASE
    WHEN text IS NULL OR text = '' THEN false
    WHEN NOT is_space_code(unicode(text)) THEN true
    ELSE regexp_matches(text, '[^[:space:]\x{1c}-\x{1f}\x{85}\p{Z}]')
END;
-- trim_space(text): text without white space at either end
CREATE OR REPLACE TEMP MACRO trim_space(text) AS CASE
    WHEN text IS NULL OR text = '' THEN text
    WHEN NOT is_space_code(unicode(text)) AND NOT is_space_code(unicode(reverse(text))) THEN text
    ELSE regexp_replace(
        text, '^[[:space:]\x{1c}-\x{1f}\x{85}\p{Z}]+|[[:space:]\x{1c}-\x{1f}\x{85}\p{Z}]+$', '', 'g'
    )
END;
-- The engine also defines has_protected_class(items) and has_credential_category(items):
-- has_any_of(items, getvariable('protected_classes')) and the same for the credential
-- categories, written as one list_contains per configured value, which DuckDB pushes into
-- the Parquet scan (a lambda it cannot push): the other columns are then read only for the
-- events that hold a protected class.

-- protected: outcome is success and at least one data field is in a protected class
-- (the catalog's protected_classes, by default login and identity).
CREATE OR REPLACE TEMP VIEW protected_events AS
SELECT e.*
FROM events AS e
WHERE e.outcome = 'success'
  AND has_protected_class(e.data_classes);

-- in_scope_events: protected events that are not self-access, with one column per term.
-- Every default rule starts here. The engine runs all rules in one query in which this view is
-- materialised once (DuckDB then keeps only the rows some rule can use), so the rules do not
-- each rescan the lake. It holds the columns the rules and findings need; a rule wanting
-- data_fields or the source columns selects from protected_events or events instead.
--   self-access (excluded): actor_type is subject, or actor_id equals subject_id
--   leaves_provider:    destination_type is external or public
--   authorized:         authorization_ref is present (has_text: white space alone is none)
--   has_purpose:        purpose is present (has_text)
--   paid:               amount > 0
--   to_broker:          destination_party is on the broker watchlist (trimmed, case-insensitive)
--   touches_credential: a data field of a credential category (passwords, tokens ...)
--   internal_use:       view, search or export that stays internal (destination internal),
--                       by an employee, partner or unknown actor
--   unbounded:          a database statement that read protected columns with no subject
--                       narrowing (extras.unbounded, set by `ingest --source`): the shape of
--                       a whole-table dump, whatever record_count the log could tell
CREATE OR REPLACE TEMP VIEW in_scope_events AS
SELECT
    e.provider_id,
    e.event_date,
    e.event_id,
    e.event_time,
    e.actor_id,
    e.actor_type,
    e.action,
    e.subject_id,
    e.record_count,
    e.data_classes,
    e.data_categories,
    e.destination_type,
    e.destination_party,
    e.authorization_ref,
    e.purpose,
    e.amount,
    e.currency,
    coalesce(e.destination_type, 'internal') IN ('external', 'public') AS leaves_provider,
    has_text(e.authorization_ref) AS authorized,
    has_text(e.purpose) AS has_purpose,
    coalesce(e.amount, 0) > 0 AS paid,
    coalesce(list_contains(getvariable('broker_watchlist'), lower(trim_space(e.destination_party))), false)
        AS to_broker,
    has_credential_category(e.data_categories) AS touches_credential,
    (
        e.action IN ('view', 'search', 'export')
        AND coalesce(e.destination_type, 'internal') = 'internal'
        AND coalesce(e.actor_type, 'unknown') IN ('employee', 'partner', 'unknown')
    ) AS internal_use,
    coalesce(TRY_CAST(json_extract_string(e.extras, '$.unbounded') AS BOOLEAN), false)
        AS unbounded
FROM protected_events AS e
WHERE NOT (
    coalesce(e.actor_type, 'unknown') = 'subject'
    OR coalesce(e.actor_id = e.subject_id, false)
);

-- Real-name registration (issue 11). The engine also creates, before this script:
--   account_timeline  provider_id, account_id, since, verified: each moment a known account's
--                     verification state changed, from verify events and account snapshots
--                     of the whole lake (auditpipe/detect/real_name.py says how)
--   provider_types    provider_id, provider_type: each provider's type from the types its
--                     events carry (NULL when they name both), for events that carry none
--   account_rows      the account snapshots of the evaluated days, one row per account and
--                     snapshot, shaped like event rows (event_date = snapshot_date, event_id =
--                     the row's evidence id "s-...", actor_id = subject_id = account_id) plus
--                     the snapshot's columns (verification_status, id_number_valid, ...)
-- real_name_publishes: successful posts by users (actor_type subject) of information service
-- providers (provider_type iisp: the event's, else its provider's; access providers, iasp, are
-- outside the publishing requirement), with verified_when_published = the account's state at the moment of
-- the post: true, false, or NULL when the account is unknown (in no snapshot and no register
-- or verify event: a data gap, not a violation).
CREATE OR REPLACE TEMP VIEW real_name_publishes AS
SELECT e.*, t.verified AS verified_when_published
FROM events AS e
LEFT JOIN provider_types AS p ON p.provider_id = e.provider_id
ASOF LEFT JOIN account_timeline AS t
    ON t.provider_id = e.provider_id
   AND t.account_id = e.actor_id
   AND e.event_time >= t.since
WHERE e.action = 'publish'
  AND e.actor_type = 'subject'
  AND coalesce(e.provider_type, p.provider_type) = 'iisp'
  -- implied by the line above, but on the event's own column alone, so DuckDB pushes it into
  -- the Parquet scan: a file of an access provider's events (all iasp) is skipped by its
  -- statistics instead of being decoded for its posts
  AND (e.provider_type = 'iisp' OR e.provider_type IS NULL)
  AND e.outcome = 'success';
