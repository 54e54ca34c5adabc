/** 5xx storms on one route: the upstream failing, often right after abuse (OWASP API4, API8). */
import { routeAnomalyDetector, routeEvidence, SLOT_MIN } from './route-anomaly.js';

export const errorBurstDetector = routeAnomalyDetector({
  name: 'error_burst',
  metric: 'route_5xx',
  column: 'errors_5xx',
  owasp: 'API4',
  thresholds: (ctx) => {
    const c = ctx.config.detectors.error_burst;
    return { z: c.zThreshold, minAbs: c.min5xx, minRatio: 3, minShare: c.minRatio };
  },
  describe: (route, v, usual, requests) => `${v} server errors (5xx) on ${route} in ${SLOT_MIN} min out of ${requests} requests, usually ${Math.round(usual)}`,
  evidence: (db, f) => routeEvidence(db, f, ' AND status >= 500'),
});
