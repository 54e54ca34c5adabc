/**
 * Detection settings: the cycle, the watermark, allow-lists, and one section per detector
 * with its thresholds and an `enabled` switch. Defaults follow published practice (impossible
 * travel ≥ 900 km/h over ≥ 500 km, enumeration > 50 ids in 5 minutes) and are meant to be
 * tuned.
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
    severity: Type.Object(
      {
        criticalBytes: Type.Integer({ default: 250_000_000, minimum: 1, description: 'bytes served to one principal or by one route in a window that make an exposure critical' }),
      },
      { default: {}, additionalProperties: false, description: 'the severity policy (docs/detection.md)' },
    ),
    incidentWindowMin: Type.Integer({ default: 30, minimum: 1, maximum: 1440, description: 'alerts that share an entity (their own, or one they name) within this many minutes are one incident' }),
    leaseSec: Type.Integer({ default: 30, minimum: 5, maximum: 3600, description: 'detection cycles run in one process at a time (a lease in the store); a standby takes over this long after the holder dies' }),
    autoResolveMin: Type.Integer({ default: 60, minimum: 0, description: 'an alert whose condition has been clear this long (event time) is resolved by the system; 0: never' }),
    baselineDays: Type.Integer({ default: 14, minimum: 1, maximum: 90, description: 'history a baseline learns from' }),
    baselineMinSamples: Type.Integer({ default: 24, minimum: 3, description: '5-minute slots a baseline bucket needs before anything is scored against it' }),
    baselineRefreshMin: Type.Integer({ default: 60, minimum: 5, description: 'baselines are recomputed when scoring has moved this far (event time)' }),
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
          lookbackHours: Type.Integer({ default: 24, minimum: 1, maximum: 720, description: 'how far back the last place before a new one is looked for' }),
          familiarDays: Type.Integer({ default: 30, minimum: 0, maximum: 365, description: "a principal's familiar places (cities, and networks by country and ASN) are learnt over this many days; moving to a familiar place never alerts" }),
          countryErrorKm: Type.Number({ default: 500, minimum: 0, description: 'GeoIP inaccuracy assumed for a location known only at country level' }),
          withinCountryMinKm: Type.Number({
            default: 0,
            minimum: 0,
            description: 'judge moves inside one country only when the two cities are at least this far apart (0: never; GeoIP places access networks at their providers\' hubs, often a continent away from the user)',
          }),
        }),
        volume: detector({
          zThreshold: Type.Number({ default: 8, minimum: 1, description: 'robust z-score of a route\'s 5-minute request count' }),
          minRequests: Type.Integer({ default: 200, minimum: 1 }),
          sensitiveMinRequests: Type.Integer({ default: 30, minimum: 1, description: 'the same floor for sensitive routes (see sensitive_access)' }),
          minRatio: Type.Number({ default: 3, minimum: 1, description: 'and at least this many times the usual count' }),
        }),
        error_burst: detector({
          zThreshold: Type.Number({ default: 6, minimum: 1 }),
          min5xx: Type.Integer({ default: 25, minimum: 1 }),
          minRatio: Type.Number({ default: 0.2, minimum: 0, maximum: 1, description: 'share of the route\'s requests that failed with 5xx' }),
        }),
        failure_rate: detector({
          zThreshold: Type.Number({ default: 8, minimum: 1 }),
          minFailures: Type.Integer({ default: 50, minimum: 1 }),
          minRatio: Type.Number({ default: 3, minimum: 1 }),
        }),
        data_exposure: detector({
          zThreshold: Type.Number({ default: 8, minimum: 1 }),
          minBytes: Type.Integer({ default: 50_000_000, minimum: 1, description: 'response bytes of one route in 5 minutes' }),
          minRatio: Type.Number({ default: 5, minimum: 1 }),
        }),
        route_drop: detector({
          windowMin: Type.Integer({ default: 15, minimum: 5, maximum: 240 }),
          minExpected: Type.Number({ default: 100, minimum: 1, description: 'requests the route normally serves in that time' }),
          maxFraction: Type.Number({ default: 0.1, minimum: 0, maximum: 1, description: 'alert when it served at most this share of that' }),
        }),
        gateway_silence: detector({
          silentMin: Type.Integer({ default: 10, minimum: 2, maximum: 240, description: 'no record at all from a gateway for this long' }),
          minExpected: Type.Number({ default: 20, minimum: 1, description: 'requests the gateway normally sends in that time' }),
        }),
        new_country: detector({
          historyDays: Type.Integer({ default: 7, minimum: 1, maximum: 90, description: 'a country not seen for the principal in this long is new' }),
          minHistoryRequests: Type.Integer({ default: 50, minimum: 1, description: 'a principal needs this much history before a country counts as new' }),
          minHistoryHours: Type.Integer({ default: 24, minimum: 1, description: 'and its history must span this long' }),
        }),
        rare_country_surge: detector({
          windowMin: Type.Integer({ default: 10, minimum: 1, maximum: 60 }),
          minRequests: Type.Integer({ default: 60, minimum: 1, description: 'requests from one country to one route in the window' }),
          maxUsualShare: Type.Number({ default: 0.01, minimum: 0, maximum: 1, description: 'the country usually sends at most this share of the route\'s traffic' }),
          historyDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
        }),
        sensitive_access: detector({
          segments: Type.Array(Type.String(), { default: ['admin', 'internal', 'export', 'debug', 'actuator', 'management', 'private', 'backup', 'config'] }),
          routes: Type.Array(Type.String(), { default: [], description: 'more sensitive route templates, `*` as a wildcard' }),
          historyDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
          minRouteHistoryHours: Type.Integer({ default: 24, minimum: 0, description: 'the route must have been seen this long before a first touch counts' }),
          minRequests: Type.Integer({ default: 3, minimum: 1, description: 'requests by a newcomer before it is an alert' }),
          operators: Type.Array(Type.String(), {
            default: [],
            description: 'principals (globs) who may open a sensitive route nobody has used yet; besides them, every principal that used any sensitive route in historyDays is an operator',
          }),
        }),
        entity_volume: detector({
          windowMin: Type.Integer({ default: 5, minimum: 1, maximum: 60 }),
          minRequests: Type.Integer({ default: 250, minimum: 1, description: 'requests by one principal or one IP in the window' }),
          minRatio: Type.Number({ default: 10, minimum: 1, description: 'times its own average over the history' }),
          historyDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
        }),
        principal_exposure: detector({
          windowMin: Type.Integer({ default: 10, minimum: 1, maximum: 60 }),
          minBytes: Type.Integer({ default: 100_000_000, minimum: 1, description: 'response bytes to one principal in the window' }),
          minRatio: Type.Number({ default: 10, minimum: 1 }),
          historyDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
        }),
        slow_ramp: detector({
          hours: Type.Integer({ default: 3, minimum: 1, maximum: 24, description: 'how long the rise must last' }),
          minRatio: Type.Number({ default: 2, minimum: 1, description: 'traffic over those hours against the baseline for them' }),
          minRequests: Type.Integer({ default: 1000, minimum: 1 }),
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
