-- id: modification
-- title: Login or identity data modified or deleted without authorization
-- title.zh-CN: 未经授权修改或删除登录信息或身份信息
-- category: modification
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not modify it.
-- description: A protected event (not self-access) that updates or deletes data and carries
--   no authorization reference (ticket, consent or legal order).
-- false_positives: A routine correction or a deletion the user requested through support,
--   logged without the ticket reference; an automated job logged under a person's account.
-- summary: {actor} modified or deleted {data} ({records}, {events}) without authorization on {date}.
-- summary.zh-CN: {actor}于 {date} 未经授权修改或删除了{data}（{records}，{events}）。
SELECT *
FROM in_scope_events
WHERE action IN ('update', 'delete')
  AND NOT authorized
