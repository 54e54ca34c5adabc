/**
 * The evaluation scenario: three days from Monday 5 October 2026 with an attack of every
 * detector family on days two and three. Used by `npm run eval:detect` and the integration
 * tests; the attacks' entities are chosen among the world's plain users (no VPN, no trips).
 */
import type { Attack } from '../../services/demo/traffic-simulator.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2026, 9, 5); // Monday 5 October 2026, 00:00 UTC
export const DAYS = 3;
/** days of history before T0, stored but not scored: what a deployment has learnt (familiar places, baselines) */
export const HISTORY_DAYS = 4;
export const at = (day: number, hour: number, minute = 0) => T0 + day * DAY + hour * HOUR + minute * MIN;

export const ATTACKS: Attack[] = [
  { kind: 'brute_force', start: at(1, 9, 5), entity: { type: 'ip', value: '45.83.64.10' } },
  { kind: 'credential_stuffing', start: at(1, 10, 20), entity: { type: 'ip', value: '45.83.64.20' } },
  { kind: 'distributed_brute_force', start: at(1, 11, 40), entity: { type: 'principal', value: 'user0021' } },
  { kind: 'impossible_travel', start: at(1, 13, 0), entity: { type: 'principal', value: 'user0105' } },
  { kind: 'new_country', start: at(2, 8, 30), entity: { type: 'principal', value: 'user0131' } },
  { kind: 'enumeration', start: at(1, 14, 10), entity: { type: 'principal', value: 'user0107' } },
  { kind: 'volume', start: at(1, 15, 30), entity: { type: 'route', value: '/v1/products/{id}' } },
  { kind: 'entity_volume', start: at(2, 10, 15), entity: { type: 'principal', value: 'user0140' } },
  { kind: 'error_burst', start: at(1, 16, 45), entity: { type: 'route', value: '/v1/orders' } },
  { kind: 'data_exposure', start: at(2, 11, 30), entity: { type: 'route', value: '/v1/search' } },
  { kind: 'gateway_silence', start: at(2, 16, 0), entity: { type: 'gateway', value: 'kong/us' } },
  { kind: 'route_drop', start: at(2, 9, 40), entity: { type: 'route', value: '/v1/cart' } },
  { kind: 'sensitive_access', start: at(2, 12, 50), entity: { type: 'principal', value: 'user0123' } },
  // a privileged route nobody had ever used, listed page by page by an ordinary user with 200s
  { kind: 'sensitive_access', start: at(1, 17, 30), entity: { type: 'principal', value: 'user0166' }, route: '/internal/v1/customers' },
  { kind: 'rare_country_surge', start: at(2, 14, 20), entity: { type: 'route', value: '/v1/search' } },
  { kind: 'slow_ramp', start: at(2, 2, 0), entity: { type: 'route', value: '/v1/recommendations' }, durationMin: 4 * 60 },
];
