-- id: selling
-- title: Login or identity data sold to an outside party
-- title.zh-CN: 登录信息或身份信息被出售给外部一方
-- category: selling
-- severity: high
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not sell it.
-- description: A protected event (not self-access) whose data leaves the provider
--   (destination external or public) and was paid for (amount > 0) or went to a party on
--   the data-broker watchlist. An authorization reference does not excuse a sale.
-- false_positives: A paid service the user asked for that carries their data to a third
--   party (e.g. a paid identity-verification call placed at the user's request) and was
--   logged with the amount the provider charged; a watchlist entry whose name collides
--   with a legitimate recipient.
-- summary: {actor} sold {data} ({records}, {events}) to {party} on {date}; proceeds: {proceeds}.
-- summary.zh-CN: {actor}于 {date} 向 {party} 出售了{data}（{records}，{events}）；所得：{proceeds}。
SELECT *
FROM in_scope_events
WHERE leaves_provider
  AND (paid OR to_broker)
