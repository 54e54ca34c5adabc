/** Authentication failures on one route far above its own seasonal normal (OWASP API2). */
import { routeAnomalyDetector, routeEvidence, SLOT_MIN } from '../volume/route-anomaly.js';

export const failureRateDetector = routeAnomalyDetector({
  name: 'failure_rate',
  metric: 'route_failures',
  column: 'failures',
  early: true,
  owasp: 'API2',
  thresholds: (ctx) => {
    const c = ctx.config.detectors.failure_rate;
    return { z: c.zThreshold, minAbs: c.minFailures, minRatio: c.minRatio };
  },
  describe: (route, v, usual, requests) => `${v} authentication failures (401/403) on ${route} in ${SLOT_MIN} min out of ${requests} requests, usually ${Math.round(usual)}`,
  evidence: (db, f) => routeEvidence(db, f, " AND auth_outcome = 'failure'"),
});
