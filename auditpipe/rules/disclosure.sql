-- id: disclosure
-- title: Login or identity data disclosed outside the provider
-- title.zh-CN: 登录信息或身份信息被披露到提供者之外
-- category: disclosure
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not intentionally disclose it.
-- description: A protected event (not self-access) whose data leaves the provider
--   (destination external or public), that is not a sale, and that either carries no
--   authorization reference or was made public. Publishing is never excused by an
--   authorization reference.
-- false_positives: A lawful transfer whose authorization reference (consent, legal order)
--   was not logged; a public post the user asked the provider to make on their behalf but
--   logged with another actor.
-- summary: {actor} disclosed {data} ({records}, {events}) to {party} on {date}.
-- summary.zh-CN: {actor}于 {date} 向 {party} 披露了{data}（{records}，{events}）。
SELECT *
FROM in_scope_events
WHERE leaves_provider
  AND NOT (paid OR to_broker)
  AND (NOT authorized OR destination_type = 'public')
