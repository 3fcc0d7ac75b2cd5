-- id: illegal_use_bulk
-- title: Bulk access to login or identity data by one actor in one day
-- title.zh-CN: 同一操作者一天内批量访问登录信息或身份信息
-- category: illegal_use
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not illegally use it.
-- description: An employee, partner or unknown actor whose internal views, searches and
--   exports of protected data in one provider on one event_date (lake timezone) add up to
--   at least bulk_threshold records (record_count summed; default 1,000), authorized or
--   not; or one unbounded read (a database statement reading protected columns of every
--   row, see `ingest --source`) counts as bulk by itself. Every such event of that
--   actor-day is evidence.
-- false_positives: Approved migrations, audits or fraud investigations run under a personal
--   account rather than a service account; raise bulk_threshold for teams whose daily work
--   is legitimately large.
-- summary: {actor} accessed {records} of {data} in {events} on {date}, reaching the bulk threshold of {bulk_threshold}.
-- summary.zh-CN: {actor}于 {date} 在 {events}中访问了{data}共 {records}，达到批量阈值 {bulk_threshold}。
WITH bulk_actor_days AS (
    SELECT provider_id, actor_id, event_date
    FROM in_scope_events
    WHERE internal_use
    GROUP BY provider_id, actor_id, event_date
    HAVING sum(record_count) >= (SELECT bulk_threshold FROM detect_settings)
        OR bool_or(unbounded)
)
SELECT e.*
FROM in_scope_events AS e
SEMI JOIN bulk_actor_days AS b
    ON b.provider_id = e.provider_id
   AND b.actor_id = e.actor_id
   AND b.event_date = e.event_date
WHERE e.internal_use
