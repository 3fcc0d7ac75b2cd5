-- id: real_name_invalid_verification
-- title: Verification that cannot be real
-- title.zh-CN: 不可能真实的实名核验
-- category: real_name
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers shall
--   require users who publish to register with their real identification information
--   (真实身份信息).
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当要求发布信息的用户以真实身份信息注册。
-- description: An account an account snapshot marks verified although the ID number it was
--   verified with fails the GB 11643-1999 checks at ingest (length, format, check digit,
--   birth date, region: id_number_valid is false), or no verification method is given. An
--   absent ID number alone is not a finding. One finding per account and snapshot (dated
--   the snapshot_date); the evidence is the snapshot row (kind 'account' in
--   finding_evidence). Applies to every provider whose snapshots are ingested.
-- description.zh-CN: 账户快照标记为已认证的账户，其认证所用的身份证号未通过入库时的 GB 11643-1999 校验（长度、格式、校验位、出生日期、地区：id_number_valid 为 false），或未给出认证方式。仅缺少身份证号不构成发现。每个账户和快照一个发现（日期为 snapshot_date）；证据是快照行（finding_evidence 中 kind 为 'account'）。适用于已入库快照的每个服务提供者。
-- false_positives: A foreign passport or Hong Kong, Macao or Taiwan permit stored in the ID
--   number field (it fails the resident ID checks); a provider that records the method in
--   another column of its export.
-- false_positives.zh-CN: 存放在身份证号字段中的外国护照或港澳台通行证（不符合居民身份证校验）；在导出的其他列中记录认证方式的服务提供者。
-- summary: An account is marked verified in the account snapshot of {date}, but its ID number fails the checks or no verification method is given.
-- summary.zh-CN: 一个账号在 {date} 的账号快照中被标记为已核验，但其身份证号码未通过校验，或未给出核验方式。
SELECT *
FROM account_rows
WHERE verification_status = 'verified'
  AND (id_number_valid = false OR nullif(trim(verification_method), '') IS NULL)
