/** The SQL console's example investigations (plain data: the tests run each through the SQL guard). */
export const EXAMPLES: Array<{ title: string; sql: string }> = [
  {
    title: 'Failed logins per client IP, last hour',
    sql: `SELECT IPv6NumToString(client_ip) AS ip, count() AS failures, uniqExact(principal_id) AS principals, any(country) AS country
FROM events
WHERE event_time > now() - INTERVAL 1 HOUR AND auth_outcome = 'failure'
GROUP BY ip ORDER BY failures DESC LIMIT 50`,
  },
  {
    title: 'Principals seen from more than one country today',
    sql: `SELECT principal_id, groupUniqArray(country) AS countries, count() AS requests
FROM events
WHERE event_time > today() AND principal_id != '' AND country != ''
GROUP BY principal_id HAVING length(countries) > 1 ORDER BY length(countries) DESC LIMIT 100`,
  },
  {
    title: 'Routes by server errors, last 24 hours',
    sql: `SELECT route, sum(requests) AS requests, sum(errors_5xx) AS errors, round(errors / requests * 100, 2) AS pct
FROM rollup_route_1m
WHERE minute > now() - INTERVAL 24 HOUR
GROUP BY route ORDER BY errors DESC LIMIT 20`,
  },
  {
    title: 'What one IP did (replace the address)',
    sql: `SELECT event_time, method, path, status, principal_id, country, user_agent
FROM events
WHERE client_ip = toIPv6('203.0.113.7') AND event_time > now() - INTERVAL 7 DAY
ORDER BY event_time DESC LIMIT 500`,
  },
  {
    title: 'Secrets caught by redaction, per gateway, last 24 hours',
    sql: `SELECT gateway, count() AS events_with_secrets, sum(redacted_fields) AS fields_redacted
FROM events
WHERE event_time > now() - INTERVAL 24 HOUR AND redacted_fields > 0
GROUP BY gateway ORDER BY fields_redacted DESC`,
  },
  {
    title: 'Alerts by detector and severity, last 7 days',
    sql: `SELECT detector, severity, count() AS alerts, countIf(status = 'open') AS still_open
FROM alerts_current
WHERE last_seen > now() - INTERVAL 7 DAY
GROUP BY detector, severity ORDER BY alerts DESC`,
  },
];
