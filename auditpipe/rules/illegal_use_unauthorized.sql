-- id: illegal_use_unauthorized
-- title: Login or identity data accessed with neither authorization nor purpose
-- title.zh-CN: 在既无授权也无目的的情况下访问登录信息或身份信息
-- category: illegal_use
-- severity: low
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not illegally use it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息和真实身份信息保密，不得非法使用。
-- description: A view, search or export of protected data that stays inside the provider, by
--   an employee, partner or unknown actor, with neither an authorization reference nor a
--   stated purpose.
-- description.zh-CN: 员工、合作方或身份不明的操作者在服务提供者内部对受保护数据的查看、搜索或导出，既无授权凭证也未说明目的。
-- false_positives: Support staff answering a user's own ticket when the tool does not log the
--   ticket number or purpose; service accounts mislabelled as employees or unknown.
-- false_positives.zh-CN: 客服处理用户本人的工单，而工具未记录工单号或目的；被误标为员工或身份不明的服务账户。
-- summary: {actor} accessed {data} ({records}, {events}) with no authorization or purpose recorded on {date}.
-- summary.zh-CN: {actor}于 {date} 在未记录授权或目的的情况下访问了{data}（{records}，{events}）。
SELECT *
FROM in_scope_events
WHERE internal_use
  AND NOT authorized
  AND NOT has_purpose
