-- id: illegal_use_credential
-- title: Login credentials (passwords, tokens) accessed by a person
-- title.zh-CN: 登录凭证（密码、令牌）被人员访问
-- category: illegal_use
-- severity: high
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information confidential and shall not illegally use it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息保密，不得非法使用。
-- description: A view, search or export that stays inside the provider, by an employee,
--   partner or unknown actor, touching a data field of a credential category (password,
--   password hash, session or access token, security answer, OTP secret). Authorized or not:
--   people never need to read password hashes or tokens.
-- description.zh-CN: 员工、合作方或身份不明的操作者在服务提供者内部的查看、搜索或导出，涉及凭据类数据字段（密码、密码哈希、会话或访问令牌、安全问题答案、OTP 密钥）。无论是否授权：人员从不需要读取密码哈希或令牌。
-- false_positives: A security engineer's incident response on a compromised account, where
--   reading a token was part of a documented investigation.
-- false_positives.zh-CN: 安全工程师对被盗账户的事件响应，读取令牌是有记录的调查的一部分。
-- summary: {actor} accessed {data} ({records}, {events}) on {date}; people never need to read credentials.
-- summary.zh-CN: {actor}于 {date} 访问了{data}（{records}，{events}）；人员从不需要读取凭证。
SELECT *
FROM in_scope_events
WHERE internal_use
  AND touches_credential
