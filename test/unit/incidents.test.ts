/** Grouping alerts into incidents: pure, on hand-made alerts. */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert-schema.js';
import { groupAlerts, linkKeys, type Incident } from '../../services/detect/incident-grouping.js';

const T = Date.UTC(2026, 9, 6, 9);
const iso = (min: number) => new Date(T + min * 60_000).toISOString();
let n = 0;
function alert(over: Partial<Alert> & Pick<Alert, 'detector' | 'entity'>, from = 0, to = from + 5): Alert {
  return {
    id: `a${++n}`, severity: 'high', window: { start: iso(from), end: iso(to) }, observed: 1, expected: 0, score: 2, summary: `${over.detector} on ${over.entity.value}`,
    owasp: 'API2', evidence: { sql: 'SELECT 1', rows: [] }, detail: {}, status: 'open', windows: 1, first_seen: iso(from), last_seen: iso(to), ...over,
  };
}
const group = (alerts: Alert[], open: Incident[] = [], known = new Map<string, Alert>()) => groupAlerts(open, alerts, { windowMin: 30, known });

describe('incidents', () => {
  it('link an alert by its entity and by what it names: a route alert its driving address and principal, a brute force its target', () => {
    expect(linkKeys(alert({ detector: 'volume', entity: { type: 'route', value: '/v1/login' }, detail: { top_ips: [{ ip: '45.83.64.10', share: 0.9 }, { ip: '81.2.69.1', share: 0.01 }], top_principals: [{ principal: 'bob', share: 0.3 }] } })).sort()).toEqual(['ip:45.83.64.10', 'principal:bob', 'route:/v1/login']);
    expect(linkKeys(alert({ detector: 'brute_force', entity: { type: 'ip', value: '45.83.64.10' }, detail: { target_kind: 'principal', target: 'alice' } })).sort()).toEqual(['ip:45.83.64.10', 'principal:alice']);
    expect(linkKeys(alert({ detector: 'impossible_travel', entity: { type: 'principal', value: 'carol' }, detail: { to: { ip: '133.11.0.77' } } })).sort()).toEqual(['ip:133.11.0.77', 'principal:carol']);
  });

  it('make one incident of a brute force seen by three detectors, titled by its most severe alert', () => {
    const bf = alert({ detector: 'brute_force', entity: { type: 'ip', value: '45.83.64.10' }, severity: 'critical', score: 9, detail: { target_kind: 'principal', target: 'alice' } }, 0);
    const rate = alert({ detector: 'failure_rate', entity: { type: 'route', value: '/v1/login' }, detail: { top_ips: [{ ip: '45.83.64.10', share: 0.95 }] } }, 1);
    const vol = alert({ detector: 'volume', entity: { type: 'route', value: '/v1/login' }, severity: 'medium' }, 2);
    const { changed, placed } = group([vol, rate, bf]);
    expect(changed).toHaveLength(1);
    expect(new Set(placed.values()).size).toBe(1);
    expect(changed[0]).toMatchObject({ severity: 'critical', detectors: ['brute_force', 'failure_rate', 'volume'], first_seen: iso(0) });
    expect(changed[0]!.title).toBe('brute_force on 45.83.64.10 (+2 related alerts: failure_rate, volume)');
    // the id follows from the first alert: scoring again gives the same incident
    expect(group([vol, rate, bf]).changed[0]!.id).toBe(changed[0]!.id);
  });

  it('never reuse the id of an incident that may not take alerts (resolved or merged) for a new one', async () => {
    const { incidentFor } = await import('../../services/detect/incident-grouping.js');
    const a = alert({ detector: 'brute_force', entity: { type: 'ip', value: '45.83.64.11' } }, 0);
    const first = incidentFor(a);
    const again = groupAlerts([], [{ ...a, last_seen: iso(50) }], { windowMin: 30, known: new Map(), taken: new Set([first.id]) }).changed[0]!;
    expect(again.id).not.toBe(first.id);
    expect(again.id).toMatch(/^inc-[0-9a-f]{16}$/);
  });

  it('keep apart alerts that share nothing, or share an entity hours apart', () => {
    const a = alert({ detector: 'new_country', entity: { type: 'principal', value: 'dave' } }, 0);
    const b = alert({ detector: 'volume', entity: { type: 'route', value: '/v1/search' } }, 3);
    const c = alert({ detector: 'new_country', entity: { type: 'principal', value: 'dave' } }, 300);
    expect(new Set(group([a, b, c]).placed.values()).size).toBe(3);
  });

  it('merge two incidents that one alert ties together into the older, and extend an incident with its alert again', () => {
    const first = group([alert({ detector: 'entity_volume', entity: { type: 'principal', value: 'erin' } }, 0)]).changed[0]!;
    const second = group([alert({ detector: 'volume', entity: { type: 'route', value: '/v1/products/{id}' } }, 1)]).changed[0]!;
    const tie = alert({ detector: 'volume', entity: { type: 'route', value: '/v1/products/{id}' }, detail: { top_principals: [{ principal: 'erin', share: 0.8 }] } }, 2);
    const { changed } = group([tie], [first, second]);
    const merged = changed.find((i) => i.merged_into)!;
    const kept = changed.find((i) => !i.merged_into)!;
    expect(kept.id).toBe(first.id);
    expect(merged.merged_into).toBe(first.id);
    expect(kept.alert_ids).toHaveLength(3);
    // the same alert extended later stays where it is
    const later = { ...tie, last_seen: iso(40), window: { start: tie.window.start, end: iso(40) } };
    const again = group([later], [kept]);
    expect(again.changed.map((i) => i.id)).toEqual([kept.id]);
    expect(again.changed[0]!.last_seen).toBe(iso(40));
  });
});
