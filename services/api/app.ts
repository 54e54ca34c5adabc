/**
 * The HTTP API as a fastify plugin: external plugins, then auth, then routes. The server
 * entry (server.ts) only builds and listens; tests build it with `app.inject`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config-schema.js';
import { limitsClause, type Store } from '../storage/clickhouse.js';
import type { Metrics } from '../shared/metrics.js';
import type { HttpIngestGateway } from '../ingest/ingest-gateway.js';
import type { ApiKeyStore } from '../storage/api-keys.js';
import type { AuditLog } from '../storage/audit-log.js';
import { authPlugin, HttpError, presentedKey } from './auth.js';
import { AuthFailureThrottle } from './auth-throttle.js';
import { AuthFailureAudit } from './auth-failure-audit.js';
import { ingestRoutes } from './routes/ingest-routes.js';
import { queryRoutes } from './routes/query-routes.js';
import { alertRoutes } from './routes/alert-routes.js';
import { incidentRoutes } from './routes/incident-routes.js';
import { createIncidentStore, type IncidentStore } from '../storage/incident-store.js';
import { alertStreamRoute } from './routes/alert-stream-route.js';
import { silenceRoutes } from './routes/silence-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { seriesRoutes } from './routes/series-routes.js';
import { registerDashboard } from './dashboard-static.js';
import { channelRoutes } from './routes/channel-routes.js';
import { createChannelStore, type ChannelStore } from '../storage/channel-store.js';
import { deliver as realDeliver, type Deliver } from '../notify/deliver.js';
import { fingerprintKey } from '../ingest/build-pipeline.js';
import type { SilenceStore } from '../storage/silence-store.js';
import type { AlertStore } from '../storage/clickhouse-alert-store.js';
import type { DetectionRunner } from '../detect/detection-runner.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface ApiDeps {
  config: Config;
  store: Store;
  keys: ApiKeyStore;
  audit: AuditLog;
  ingest: HttpIngestGateway;
  metrics: Metrics;
  log: Logger;
  readiness: ReadinessCheck[];
  alerts: AlertStore;
  runner?: DetectionRunner;
  silences: SilenceStore;
  /** notification channels (default: the config file's plus those stored through the API) */
  channels?: ChannelStore;
  /** how a channel test is sent (default: for real) */
  deliver?: Deliver;
  /** incidents (default: the store's) */
  incidents?: IncidentStore;
}

export type App = FastifyInstance;

export async function buildApp(deps: ApiDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    requestTimeout: deps.config.api.requestTimeoutMs,
    bodyLimit: 1_048_576,
    // X-Forwarded-For names the client only when it comes from a configured proxy
    trustProxy: deps.config.api.trustedProxies.length ? deps.config.api.trustedProxies : false,
    genReqId: () => crypto.randomUUID(),
    // an unknown field is an error the caller should hear about, not something dropped quietly
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  // Per verified key, counted after authentication (preHandler): a caller cannot spend someone
  // else's budget by presenting their key id with a wrong secret; those are the failed-auth
  // throttle's. Routes that need no key are limited per client address. Standard RateLimit-*
  // headers; /healthz is never limited.
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: deps.config.api.rateLimitPerMin,
    timeWindow: 60_000,
    enableDraftSpec: true,
    keyGenerator: (req) => (req.principal ? `key:${req.principal.id}` : `ip:${req.ip}`),
    allowList: (req) => req.url === '/healthz',
    errorResponseBuilder: (_req, ctx) => {
      const err = new HttpError(429, `rate limit: ${ctx.max} requests a minute per key; retry in ${ctx.after}`, 'rate_limited');
      return err;
    },
  });
  // OpenAPI from the route schemas; registered before the routes so that it sees them all
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatewatch API', version: '1', description: 'Every endpoint but /healthz needs `Authorization: Bearer <API key>` with the role it names.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'gw_<id>_<secret>' } } },
      security: [{ apiKey: [] }],
    },
  });
  const throttle = new AuthFailureThrottle({ max: deps.config.api.authFailureLimit, windowMs: deps.config.api.authFailureWindowSec * 1000 });
  const failures = new AuthFailureAudit(deps.audit, deps.log.child({ component: 'api' }));
  failures.start();
  app.addHook('onClose', () => failures.stop());
  await app.register(authPlugin, { keys: deps.keys, throttle, failures, metrics: deps.metrics });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    const status = err instanceof HttpError ? err.statusCode : err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.status(500).send({ error: 'internal error', code: 'internal', requestId: req.id });
    }
    const code = err instanceof HttpError ? err.code : err.validation ? 'invalid_request' : (err.code ?? 'error');
    return reply.status(status).send({ error: err.message, code });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, code: 'not_found' }));

  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/v1/me', { config: { role: 'viewer' }, schema: { summary: 'Who the presented key is: id, name and role' } }, async (req) => req.principal);
  registerDashboard(app);
  app.get('/docs', { config: { role: 'viewer' }, schema: { hide: true } }, async () => app.swagger());
  app.get('/readyz', { config: { role: 'viewer' } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const c of deps.readiness) {
      try {
        await c.check();
        checks[c.name] = 'ok';
      } catch (err) {
        ready = false;
        checks[c.name] = err instanceof Error ? err.message : String(err);
      }
    }
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', { config: { role: 'viewer' } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  const ingest = deps.config.ingest;
  await app.register(ingestRoutes, { gateway: deps.ingest, bodyLimit: ingest.maxBodyBytes, limits: { maxDecodedBytes: ingest.maxDecodedBytes, maxDepth: ingest.maxDepth, maxRecords: ingest.maxRecordsPerRequest, maxDeadLetters: ingest.maxDeadLettersPerRequest } });
  await app.register(queryRoutes, { store: deps.store, audit: deps.audit });
  await app.register(keyRoutes, { keys: deps.keys, audit: deps.audit });
  await app.register(silenceRoutes, { silences: deps.silences, audit: deps.audit });
  await app.register(notificationRoutes, { store: deps.store, audit: deps.audit });
  await app.register(seriesRoutes, { store: deps.store, limits: limitsClause(deps.config.api) });
  const incidents = deps.incidents ?? createIncidentStore(deps.store, deps.alerts);
  const channels = deps.channels ?? createChannelStore({ store: deps.store, configChannels: deps.config.notify.channels, fingerprintKey: fingerprintKey(deps.config, deps.log), log: deps.log });
  await app.register(channelRoutes, { channels, audit: deps.audit, deliver: deps.deliver ?? realDeliver, dashboardUrl: deps.config.notify.dashboardUrl });
  await app.register(alertStreamRoute, { store: deps.store, incidents, maxPerKey: deps.config.api.streamsPerKey, metrics: deps.metrics, byIds: (ids) => deps.alerts.byIds(ids), stillValid: async (req) => (await deps.keys.verify(presentedKey(req) ?? '')) !== undefined });
  await app.register(alertRoutes, { alerts: deps.alerts, audit: deps.audit, ...(deps.runner ? { runner: deps.runner } : {}) });
  await app.register(incidentRoutes, { incidents, audit: deps.audit });
  return app as unknown as App;
}
