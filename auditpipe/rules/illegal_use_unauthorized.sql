-- id: illegal_use_unauthorized
-- title: Login or identity data accessed with neither authorization nor purpose
-- category: illegal_use
-- severity: low
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not illegally use it.
-- description: A view, search or export of protected data that stays inside the provider, by
--   an employee, partner or unknown actor, with neither an authorization reference nor a
--   stated purpose.
-- false_positives: Support staff answering a user's own ticket when the tool does not log the
--   ticket number or purpose; service accounts mislabelled as employees or unknown.
-- summary: {actor} accessed {data} ({records}, {events}) with no authorization or purpose recorded on {date}.
SELECT *
FROM in_scope_events
WHERE internal_use
  AND NOT authorized
  AND NOT has_purpose
