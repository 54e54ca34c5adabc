/** Request floods on one route (OWASP API4: scraping, floods, resource exhaustion). */
import { routeAnomalyDetector, routeEvidence, SLOT_MIN } from './route-anomaly.js';

export const volumeSpikeDetector = routeAnomalyDetector({
  name: 'volume',
  metric: 'route_requests',
  column: 'requests',
  early: true,
  owasp: 'API4',
  thresholds: (ctx) => {
    const c = ctx.config.detectors.volume;
    return { z: c.zThreshold, minAbs: c.minRequests, minRatio: c.minRatio };
  },
  describe: (route, v, usual) => `${v} requests to ${route} in ${SLOT_MIN} min, usually ${Math.round(usual)}`,
  evidence: (db, f) => routeEvidence(db, f),
});
