-- id: real_name_shared_identity
-- title: One identity behind many accounts
-- title.zh-CN: 同一身份对应多个账号
-- category: real_name
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers shall
--   require users who publish to register with their real identification information
--   (真实身份信息).
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当要求发布信息的用户以真实身份信息注册。
-- description: More than max_accounts_per_identity (default 5; [detect] in auditpipe.toml)
--   accounts that one account snapshot marks verified share one identity: the keyed hash of
--   one ID number that passes the checks (the number itself is never stored; a number that
--   fails them, such as a placeholder like "无" or "000000000000000000", is no one's identity
--   and each account is an invalid verification instead). One finding per identity and snapshot
--   (dated the snapshot_date); its actor is "identity:" and the first 16 hex digits of the
--   hash, a pseudonym that cannot be reversed; every account's snapshot row is evidence.
-- description.zh-CN: 一份账户快照中标记为已认证、共用同一身份（一个通过校验的身份证号的带密钥哈希；号码本身从不存储；未通过校验的号码，例如"无"或"000000000000000000"之类的占位值，不是任何人的身份，其每个账户改为构成无效核验）的账户超过 max_accounts_per_identity 个（默认 5；auditpipe.toml 的 [detect]）。每个身份和快照一个发现（日期为 snapshot_date）；其操作者为 "identity:" 加哈希的前 16 位十六进制数字，是无法逆推的化名；每个账户的快照行都是证据。
-- false_positives: Shared or test accounts the provider legitimately verifies against one
--   staff member's ID; raise max_accounts_per_identity for providers that allow it.
-- false_positives.zh-CN: 服务提供者合法地以某一员工的身份证认证的共享或测试账户；允许这种情况的服务提供者，可调高 max_accounts_per_identity。
-- summary: One real identity is behind {accounts} verified in the account snapshot of {date}, more than the {identity_limit} allowed.
-- summary.zh-CN: 同一真实身份在 {date} 的账号快照中对应已核验的 {accounts}，超过允许的 {identity_limit} 个。
WITH shared AS (
    SELECT provider_id, event_date, identity_hash
    FROM account_rows
    WHERE verification_status = 'verified' AND identity_hash IS NOT NULL AND id_number_valid
    GROUP BY provider_id, event_date, identity_hash
    HAVING count(DISTINCT account_id) > (SELECT max_accounts_per_identity FROM detect_settings)
)
SELECT a.* REPLACE ('identity:' || left(a.identity_hash, 16) AS actor_id, 'identity' AS actor_type)
FROM account_rows AS a
SEMI JOIN shared AS s
    ON s.provider_id = a.provider_id
   AND s.event_date = a.event_date
   AND s.identity_hash = a.identity_hash
WHERE a.verification_status = 'verified' AND a.id_number_valid
