-- id: real_name_unverified_publish
-- title: Published without a verified real identity
-- title.zh-CN: 未经真实身份核验即发布信息
-- category: real_name
-- severity: medium
-- clause: Draft amendments to the Regulation on Internet Information Services: providers that
--   let users publish information to the public shall require them to register with their
--   real identification information (真实身份信息).
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：为用户提供向公众发布信息服务的服务提供者，应当要求用户以真实身份信息注册。
-- description: A successful publish by a user (actor_type subject) at an information service
--   provider (provider_type iisp: the event's, else the one its provider's other events name)
--   whose account was not verified at the moment of the post. The state at that moment is the latest of: a verify event of the account
--   (success or failure), an account snapshot as of the end of its snapshot_date (lake
--   timezone; status verified or not), and a snapshot's verified_at; a verification at the
--   very moment of the post counts (times compared to the microsecond). Posts by accounts that appear in no snapshot and no
--   register or verify event are a data gap the report counts, not a finding. Access
--   providers (iasp) are outside the publishing requirement. One finding per account and
--   day, every such post its evidence.
-- description.zh-CN: 用户（actor_type subject）在信息服务提供者（provider_type iisp：取事件自身的，否则取其服务提供者其他事件所标明的）处成功发布，而其账户在发布时未认证。发布时的状态取以下最晚者：该账户的认证事件（成功或失败）、截至其 snapshot_date 结束时（湖的时区）的账户快照（状态为已认证或否）、快照的 verified_at；在发布的同一时刻完成的认证也算（时间精确到微秒比较）。未出现在任何快照、注册或认证事件中的账户所发的帖子是报告统计的数据缺口，不构成发现。接入服务提供者（iasp）不受发布要求约束。每个账户每天一个发现，每个此类帖子都是证据。
-- false_positives: Verification done outside the logs and exported in no snapshot before the
--   post (ask the provider for its verify log or an earlier snapshot); an account id spelled
--   differently in the snapshot and the event log.
-- false_positives.zh-CN: 在日志之外完成、且发布前未导出到任何快照的认证（请向服务提供者索取其认证日志或更早的快照）；账户 id 在快照与事件日志中写法不同。
-- summary: {actor} published {posts} on {date} from an account without a verified real identity.
-- summary.zh-CN: {actor}于 {date} 从未核验真实身份的账号发布了 {posts}。
-- one finding per account and day, whatever the posts' destinations (the party is not the point)
SELECT * REPLACE (CAST(NULL AS VARCHAR) AS destination_party)
FROM real_name_publishes
WHERE NOT verified_when_published
