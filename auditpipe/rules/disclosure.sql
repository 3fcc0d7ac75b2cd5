-- id: disclosure
-- title: Login or identity data disclosed outside the provider
-- title.zh-CN: 登录信息或身份信息被披露到提供者之外
-- category: disclosure
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not intentionally disclose it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息和真实身份信息保密，不得故意泄露。
-- description: A protected event (not self-access) whose data leaves the provider
--   (destination external or public), that is not a sale, and that either carries no
--   authorization reference or was made public. Publishing is never excused by an
--   authorization reference.
-- description.zh-CN: 受保护事件（非用户本人访问），其数据流出服务提供者（目的地为外部或公开），不属于出售，且未带授权凭证或已被公开。公开发布不因授权凭证而免除。
-- false_positives: A lawful transfer whose authorization reference (consent, legal order)
--   was not logged; a public post the user asked the provider to make on their behalf but
--   logged with another actor.
-- false_positives.zh-CN: 合法的传输，但其授权凭证（同意、法律命令）未被记录；用户请求服务提供者代为发布的公开帖子，但记录的是其他操作者。
-- summary: {actor} disclosed {data} ({records}, {events}) to {party} on {date}.
-- summary.zh-CN: {actor}于 {date} 向 {party} 披露了{data}（{records}，{events}）。
SELECT *
FROM in_scope_events
WHERE leaves_provider
  AND NOT (paid OR to_broker)
  AND (NOT authorized OR destination_type = 'public')
