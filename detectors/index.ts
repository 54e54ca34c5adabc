/** Every detector, by name. The runner takes the enabled ones from config. */
import type { Detector } from './detector.js';
import { bruteForceDetector } from './auth/brute-force-detector.js';
import { credentialStuffingDetector } from './auth/credential-stuffing-detector.js';
import { distributedBruteForceDetector } from './auth/distributed-brute-force-detector.js';
import { impossibleTravelDetector } from './geo/impossible-travel-detector.js';
import { enumerationDetector } from './enumeration/enumeration-detector.js';
import { volumeSpikeDetector } from './volume/volume-spike-detector.js';
import { errorBurstDetector } from './volume/error-burst-detector.js';
import { failureRateDetector } from './auth/failure-rate-detector.js';
import { dataExposureDetector } from './volume/data-exposure-detector.js';
import { gatewaySilenceDetector } from './volume/gateway-silence-detector.js';
import { newCountryDetector } from './geo/new-country-detector.js';
import { rareCountrySurgeDetector } from './geo/rare-country-surge-detector.js';
import { sensitiveAccessDetector } from './access/sensitive-access-detector.js';
import { entityVolumeDetector } from './volume/entity-volume-detector.js';
import { principalExposureDetector } from './volume/principal-exposure-detector.js';
import { slowRampDetector } from './volume/slow-ramp-detector.js';
import { routeDropDetector } from './volume/route-drop-detector.js';

// Row types differ per detector; the runner only passes rows from a detector's own SQL back to it.
export const DETECTORS: Array<Detector<never>> = [
  bruteForceDetector,
  credentialStuffingDetector,
  distributedBruteForceDetector,
  impossibleTravelDetector,
  enumerationDetector,
  volumeSpikeDetector,
  errorBurstDetector,
  failureRateDetector,
  dataExposureDetector,
  gatewaySilenceDetector,
  newCountryDetector,
  rareCountrySurgeDetector,
  sensitiveAccessDetector,
  entityVolumeDetector,
  principalExposureDetector,
  slowRampDetector,
  routeDropDetector,
] as Array<Detector<never>>;
