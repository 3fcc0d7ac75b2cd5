-- id: modification
-- title: Login or identity data modified or deleted without authorization
-- title.zh-CN: 未经授权修改或删除登录信息或身份信息
-- category: modification
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not modify it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息和真实身份信息保密，不得篡改。
-- description: A protected event (not self-access) that updates or deletes data and carries
--   no authorization reference (ticket, consent or legal order).
-- description.zh-CN: 受保护事件（非用户本人访问），更新或删除了数据，且未带授权凭证（工单、同意或法律命令）。
-- false_positives: A routine correction or a deletion the user requested through support,
--   logged without the ticket reference; an automated job logged under a person's account.
-- false_positives.zh-CN: 用户通过客服申请的常规更正或删除，记录时未带工单号；以个人账户名义记录的自动化任务。
-- summary: {actor} modified or deleted {data} ({records}, {events}) without authorization on {date}.
-- summary.zh-CN: {actor}于 {date} 未经授权修改或删除了{data}（{records}，{events}）。
SELECT *
FROM in_scope_events
WHERE action IN ('update', 'delete')
  AND NOT authorized
