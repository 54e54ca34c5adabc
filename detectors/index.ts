/** Every detector, by name. The runner takes the enabled ones from config. */
import type { Detector } from './detector.js';
import { bruteForceDetector } from './auth/brute-force-detector.js';
import { credentialStuffingDetector } from './auth/credential-stuffing-detector.js';
import { distributedBruteForceDetector } from './auth/distributed-brute-force-detector.js';
import { impossibleTravelDetector } from './geo/impossible-travel-detector.js';
import { enumerationDetector } from './enumeration/enumeration-detector.js';

// Row types differ per detector; the runner only passes rows from a detector's own SQL back to it.
export const DETECTORS: Array<Detector<never>> = [
  bruteForceDetector,
  credentialStuffingDetector,
  distributedBruteForceDetector,
  impossibleTravelDetector,
  enumerationDetector,
] as Array<Detector<never>>;
