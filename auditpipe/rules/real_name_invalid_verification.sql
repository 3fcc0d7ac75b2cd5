-- id: real_name_invalid_verification
-- title: Verification that cannot be real
-- title.zh-CN: 不可能真实的实名核验
-- category: real_name
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers shall
--   require users who publish to register with their real identification information
--   (真实身份信息).
-- description: An account an account snapshot marks verified although the ID number it was
--   verified with fails the GB 11643-1999 checks at ingest (length, format, check digit,
--   birth date, region: id_number_valid is false), or no verification method is given. An
--   absent ID number alone is not a finding. One finding per account and snapshot (dated
--   the snapshot_date); the evidence is the snapshot row (kind 'account' in
--   finding_evidence). Applies to every provider whose snapshots are ingested.
-- false_positives: A foreign passport or Hong Kong, Macao or Taiwan permit stored in the ID
--   number field (it fails the resident ID checks); a provider that records the method in
--   another column of its export.
-- summary: An account is marked verified in the account snapshot of {date}, but its ID number fails the checks or no verification method is given.
-- summary.zh-CN: 一个账号在 {date} 的账号快照中被标记为已核验，但其身份证号码未通过校验，或未给出核验方式。
SELECT *
FROM account_rows
WHERE verification_status = 'verified'
  AND (id_number_valid = false OR nullif(trim(verification_method), '') IS NULL)
