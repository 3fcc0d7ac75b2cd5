-- id: illegal_use_bulk
-- title: Bulk access to login or identity data by one actor in one day
-- title.zh-CN: 同一操作者一天内批量访问登录信息或身份信息
-- category: illegal_use
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not illegally use it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息和真实身份信息保密，不得非法使用。
-- description: An employee, partner or unknown actor whose internal views, searches and
--   exports of protected data in one provider on one event_date (lake timezone) add up to
--   at least bulk_threshold records (record_count summed; default 1,000), authorized or
--   not; or one unbounded read (a database statement reading protected columns of every
--   row, see `ingest --source`) counts as bulk by itself. One finding per actor-day, with no
--   destination party whatever party a read names; every such event of that actor-day is
--   evidence.
-- description.zh-CN: 员工、合作方或身份不明的操作者在同一服务提供者、同一 event_date（湖的时区）内对受保护数据的内部查看、搜索和导出累计达到 bulk_threshold 条记录（record_count 之和；默认 1,000），无论是否授权；或一次无范围读取（读取所有行的受保护列的数据库语句，见 `ingest --source`）本身即算批量。每个操作者每天一个发现（不论读取指明了哪一方，均不带目的方）；该操作者当日的每个此类事件都是证据。
-- false_positives: Approved migrations, audits or fraud investigations run under a personal
--   account rather than a service account; raise bulk_threshold for teams whose daily work
--   is legitimately large.
-- false_positives.zh-CN: 以个人账户而非服务账户执行的经批准的迁移、审计或反欺诈调查；日常工作量本就很大的团队，可调高 bulk_threshold。
-- summary: {actor} accessed {records} of {data} in {events} on {date}, {bulk_reason}.
-- summary.zh-CN: {actor}于 {date} 在 {events}中访问了{data}共 {records}，{bulk_reason}。
WITH bulk_actor_days AS (
    SELECT provider_id, actor_id, event_date
    FROM in_scope_events
    WHERE internal_use
    GROUP BY provider_id, actor_id, event_date
    HAVING sum(record_count) >= (SELECT bulk_threshold FROM detect_settings)
        OR bool_or(unbounded)
)
-- one finding per actor-day, whatever parties the reads name: the threshold is the actor-day's
SELECT e.* REPLACE (CAST(NULL AS VARCHAR) AS destination_party)
FROM in_scope_events AS e
SEMI JOIN bulk_actor_days AS b
    ON b.provider_id = e.provider_id
   AND b.actor_id = e.actor_id
   AND b.event_date = e.event_date
WHERE e.internal_use
