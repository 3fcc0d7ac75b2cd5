-- id: illegal_use_bulk
-- title: Bulk access to login or identity data by one actor in one day
-- category: illegal_use
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not illegally use it.
-- description: An employee, partner or unknown actor whose internal views, searches and
--   exports of protected data in one provider on one event_date (lake timezone) add up to
--   at least bulk_threshold records (record_count summed; default 1,000), authorized or
--   not. Every such event of that actor-day is evidence.
-- false_positives: Approved migrations, audits or fraud investigations run under a personal
--   account rather than a service account; raise bulk_threshold for teams whose daily work
--   is legitimately large.
-- summary: {actor} accessed {records} of {data} in {events} on {date}, reaching the bulk threshold of {bulk_threshold}.
SELECT *
FROM in_scope_events
WHERE internal_use
QUALIFY sum(record_count) OVER (PARTITION BY provider_id, actor_id, event_date)
    >= (SELECT bulk_threshold FROM detect_settings)
