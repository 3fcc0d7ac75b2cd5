-- id: illegal_use_credential
-- title: Login credentials (passwords, tokens) accessed by a person
-- title.zh-CN: 登录凭证（密码、令牌）被人员访问
-- category: illegal_use
-- severity: high
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information confidential and shall not illegally use it.
-- description: A view, search or export that stays inside the provider, by an employee,
--   partner or unknown actor, touching a data field of a credential category (password,
--   password hash, session or access token, security answer, OTP secret). Authorized or not:
--   people never need to read password hashes or tokens.
-- false_positives: A security engineer's incident response on a compromised account, where
--   reading a token was part of a documented investigation.
-- summary: {actor} accessed {data} ({records}, {events}) on {date}; people never need to read credentials.
-- summary.zh-CN: {actor}于 {date} 访问了{data}（{records}，{events}）；人员从不需要读取凭证。
SELECT *
FROM in_scope_events
WHERE internal_use
  AND touches_credential
