-- id: real_name_unverified_publish
-- title: Published without a verified real identity
-- title.zh-CN: 未经真实身份核验即发布信息
-- category: real_name
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers that
--   let users publish information to the public shall require them to register with their
--   real identification information (真实身份信息).
-- description: A successful publish by a user (actor_type subject) at an information service
--   provider (provider_type iisp: the event's, else the one its provider's other events name)
--   whose account was not verified at the moment of the post. The state at that moment is the latest of: a verify event of the account
--   (success or failure), an account snapshot as of the end of its snapshot_date (lake
--   timezone; status verified or not), and a snapshot's verified_at; a verification at the
--   very second of the post counts. Posts by accounts that appear in no snapshot and no
--   register or verify event are a data gap the report counts, not a finding. Access
--   providers (iasp) are outside the publishing requirement. One finding per account and
--   day, every such post its evidence.
-- false_positives: Verification done outside the logs and exported in no snapshot before the
--   post (ask the provider for its verify log or an earlier snapshot); an account id spelled
--   differently in the snapshot and the event log.
-- summary: {actor} published {posts} on {date} from an account without a verified real identity.
-- summary.zh-CN: {actor}于 {date} 从未核验真实身份的账号发布了 {posts}。
-- one finding per account and day, whatever the posts' destinations (the party is not the point)
SELECT * REPLACE (CAST(NULL AS VARCHAR) AS destination_party)
FROM real_name_publishes
WHERE NOT verified_when_published
