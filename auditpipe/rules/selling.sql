-- id: selling
-- title: Login or identity data sold to an outside party
-- title.zh-CN: 登录信息或身份信息被出售给外部一方
-- category: selling
-- severity: high
-- clause: Draft amendments to the Regulation on Internet Information Services: providers
--   shall keep users' login information and real identification information confidential
--   and shall not sell it.
-- clause.zh-CN: 《互联网信息服务管理办法（修订草案）》：服务提供者应当对用户的登录信息和真实身份信息保密，不得出售。
-- description: A protected event (not self-access) whose data leaves the provider
--   (destination external or public) and was paid for (amount > 0) or went to a party on
--   the data-broker watchlist. An authorization reference does not excuse a sale.
-- description.zh-CN: 受保护事件（非用户本人访问），其数据流出服务提供者（目的地为外部或公开），且有付费（amount > 0）或流向数据经纪商观察名单上的一方。授权凭证不能免除出售。
-- false_positives: A paid service the user asked for that carries their data to a third
--   party (e.g. a paid identity-verification call placed at the user's request) and was
--   logged with the amount the provider charged; a watchlist entry whose name collides
--   with a legitimate recipient.
-- false_positives.zh-CN: 用户自己要求、把其数据带给第三方的付费服务（例如应用户请求发起的付费身份核验调用），记录了服务提供者收取的金额；观察名单上的名称与合法接收方重名。
-- summary: {actor} sold {data} ({records}, {events}) to {party} on {date}; proceeds: {proceeds}.
-- summary.zh-CN: {actor}于 {date} 向 {party} 出售了{data}（{records}，{events}）；所得：{proceeds}。
SELECT *
FROM in_scope_events
WHERE leaves_provider
  AND (paid OR to_broker)
