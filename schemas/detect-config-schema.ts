/**
 * Detection settings: the cycle, the watermark, allow-lists, and one section per detector
 * with its thresholds and an `enabled` switch. Defaults follow the published practice in
 * DESIGN.md (impossible travel ≥ 900 km/h over ≥ 500 km, enumeration > 50 ids in 5 minutes)
 * and are meant to be tuned.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';

const detector = <T extends TProperties>(properties: T) =>
  Type.Object({ enabled: Type.Boolean({ default: true }), ...properties }, { default: {}, additionalProperties: false });

export const DetectConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'run detection in this process (roles start and detect)' }),
    cycleSec: Type.Integer({ default: 15, minimum: 1, maximum: 3600, description: 'how often a detection cycle runs (wall clock)' }),
    allowedLatenessSec: Type.Integer({ default: 60, minimum: 0, maximum: 86_400, description: 'a minute is scored once the watermark is this far past its end' }),
    idleSourceSec: Type.Integer({ default: 300, minimum: 10, description: 'a gateway that sent nothing for this long no longer holds the watermark back' }),
    startLookbackMin: Type.Integer({ default: 60, minimum: 1, description: 'on a first start, how far back the first cycle scores' }),
    maxCatchUpMin: Type.Integer({ default: 1440, minimum: 1, description: 'after a long stop, score at most this much history in one cycle' }),
    rearmMin: Type.Integer({ default: 30, minimum: 1, description: 'a condition that fires again within this gap extends its open alert' }),
    allow: Type.Object(
      {
        cidrs: Type.Array(Type.String(), { default: [] }),
        asns: Type.Array(Type.Integer({ minimum: 0 }), { default: [] }),
        principals: Type.Array(Type.String(), { default: [] }),
        routes: Type.Array(Type.String(), { default: [], description: 'route templates, `*` as a wildcard' }),
      },
      { default: {}, additionalProperties: false, description: 'never alert on these, in any detector' },
    ),
    corporateEgress: Type.Object(
      { cidrs: Type.Array(Type.String(), { default: [] }), asns: Type.Array(Type.Integer({ minimum: 0 }), { default: [] }) },
      { default: {}, additionalProperties: false, description: 'VPN and office egress: impossible travel ignores locations seen through these' },
    ),
    loginRoutes: Type.Array(Type.String(), {
      default: ['*login*', '*signin*', '*sign-in*', '*auth*', '*token*', '*session*', '*password*'],
      description: 'route templates that authenticate (brute force on a login route)',
    }),
    detectors: Type.Object(
      {
        brute_force: detector({
          windowMin: Type.Integer({ default: 5, minimum: 1, maximum: 60 }),
          minFailures: Type.Integer({ default: 20, minimum: 2, description: 'failures from one IP against one principal or one login route' }),
        }),
        credential_stuffing: detector({
          windowMin: Type.Integer({ default: 5, minimum: 1, maximum: 60 }),
          minPrincipals: Type.Integer({ default: 10, minimum: 2, description: 'distinct principals failing from one IP' }),
          minFailureRatio: Type.Number({ default: 0.6, minimum: 0, maximum: 1 }),
        }),
        distributed_brute_force: detector({
          windowMin: Type.Integer({ default: 10, minimum: 1, maximum: 120 }),
          minIps: Type.Integer({ default: 10, minimum: 2, description: 'distinct IPs failing against one principal' }),
          minFailures: Type.Integer({ default: 30, minimum: 2 }),
        }),
        impossible_travel: detector({
          maxSpeedKmh: Type.Number({ default: 900, minimum: 1 }),
          minDistanceKm: Type.Number({ default: 500, minimum: 0 }),
          geoipErrorKm: Type.Number({ default: 100, minimum: 0, description: 'GeoIP inaccuracy subtracted from each distance' }),
          lookbackHours: Type.Integer({ default: 24, minimum: 1, maximum: 720 }),
        }),
        enumeration: detector({
          windowMin: Type.Integer({ default: 5, minimum: 1, maximum: 60 }),
          minObjects: Type.Integer({ default: 50, minimum: 2, description: 'distinct object ids on one templated route by one principal' }),
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

export type DetectConfig = Static<typeof DetectConfigSchema>;
export type DetectorName = keyof DetectConfig['detectors'];
