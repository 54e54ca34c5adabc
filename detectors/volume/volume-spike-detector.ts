/** Request floods on one route (OWASP API4: scraping, floods, resource exhaustion); on a sensitive route, much smaller ones. */
import { routeAnomalyDetector, routeEvidence, SLOT_MIN } from './route-anomaly.js';
import { isSensitiveRoute } from '../access/sensitive-access-detector.js';

export const volumeSpikeDetector = routeAnomalyDetector({
  name: 'volume',
  metric: 'route_requests',
  column: 'requests',
  early: true,
  owasp: 'API4',
  // sensitive routes (admin, export, actuator…) alert on a far smaller absolute volume
  thresholds: (ctx, route) => {
    const c = ctx.config.detectors.volume;
    const s = ctx.config.detectors.sensitive_access;
    const sensitive = route !== undefined && isSensitiveRoute(route, s.segments, s.routes);
    return { z: c.zThreshold, minAbs: sensitive ? c.sensitiveMinRequests : c.minRequests, minRatio: c.minRatio };
  },
  sqlFloor: (ctx) => Math.min(ctx.config.detectors.volume.minRequests, ctx.config.detectors.volume.sensitiveMinRequests),
  describe: (route, v, usual) => `${v} requests to ${route} in ${SLOT_MIN} min, usually ${Math.round(usual)}`,
  evidence: (db, f) => routeEvidence(db, f),
});
