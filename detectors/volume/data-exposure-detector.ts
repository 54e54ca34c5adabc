/** Response bytes of one route far above normal: bulk export, exfiltration (OWASP API3). */
import { routeAnomalyDetector, routeEvidence, SLOT_MIN } from './route-anomaly.js';

const mb = (b: number) => `${(b / 1_000_000).toFixed(1)} MB`;

export const dataExposureDetector = routeAnomalyDetector({
  name: 'data_exposure',
  metric: 'route_bytes',
  column: 'bytes_out',
  early: true,
  owasp: 'API3',
  thresholds: (ctx) => {
    const c = ctx.config.detectors.data_exposure;
    return { z: c.zThreshold, minAbs: c.minBytes, minRatio: c.minRatio };
  },
  describe: (route, v, usual) => `${mb(v)} served by ${route} in ${SLOT_MIN} min, usually ${mb(usual)}`,
  evidence: (db, f) => routeEvidence(db, f),
});
