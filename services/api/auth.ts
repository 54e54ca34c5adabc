/**
 * Every route declares the role it needs (`config: { role }`) or that it is public; a route
 * that declares neither is refused at start-up, so an endpoint cannot ship unguarded by
 * omission. Keys come as `Authorization: Bearer gw_…` or `X-API-Key: gw_…`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { roleAllows, type ApiKeyStore, type Role } from '../storage/api-keys.js';
import type { AuthFailureThrottle } from './auth-throttle.js';
import type { AuthFailureAudit, AuthFailureReason } from './auth-failure-audit.js';
import type { Metrics } from '../shared/metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
    public?: boolean;
  }
  interface FastifyRequest {
    principal?: { id: string; name: string; role: Role };
  }
  interface FastifyInstance {
    /** every route with the role it needs (or public), as declared: the access-control tests walk it */
    guardedRoutes: Array<{ method: string; url: string; role?: Role; public: boolean }>;
  }
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code = 'error',
  ) {
    super(message);
  }
}

export function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k : undefined;
}

export interface AuthPluginOptions {
  keys: ApiKeyStore;
  /** failed authentications per client address; absent: no throttle */
  throttle?: AuthFailureThrottle;
  /** failed authentications, summarised into the audit log */
  failures?: AuthFailureAudit;
  metrics?: Pick<Metrics, 'authFailures' | 'authThrottled'>;
}

export const authPlugin = fp(async (app: FastifyInstance, opts: AuthPluginOptions) => {
  const guarded: FastifyInstance['guardedRoutes'] = [];
  app.decorate('guardedRoutes', guarded);
  app.addHook('onRoute', (route) => {
    const cfg = route.config as { role?: Role; public?: boolean } | undefined;
    if (!cfg?.role && !cfg?.public && !route.url.startsWith('/docs')) {
      throw new Error(`route ${route.method} ${route.url} declares neither a role nor public: true`);
    }
    for (const method of [route.method].flat()) if (method !== 'HEAD') guarded.push({ method, url: route.url, ...(cfg?.role ? { role: cfg.role } : {}), public: cfg?.public === true });
  });
  const refused = (req: FastifyRequest, reason: AuthFailureReason, keyId: string, role?: string) => {
    opts.metrics?.authFailures.inc({ reason });
    opts.failures?.add({ ip: req.ip, reason, route: `${req.method} ${req.routeOptions.url ?? '?'}`, keyId, ...(role ? { role } : {}) });
    if (reason !== 'forbidden_role') opts.throttle?.fail(req.ip);
  };
  app.addHook('onRequest', async (req, reply) => {
    const cfg = req.routeOptions.config;
    if (cfg.public || !cfg.role) return;
    // an address that failed too often waits, and its key is not even looked at
    const wait = opts.throttle?.blockedForMs(req.ip) ?? 0;
    if (wait > 0) {
      opts.metrics?.authThrottled.inc();
      const sec = Math.ceil(wait / 1000);
      reply.header('retry-after', String(sec));
      throw new HttpError(429, `too many failed authentications from this address; retry in ${sec} s`, 'auth_throttled');
    }
    const key = presentedKey(req);
    if (!key) {
      refused(req, 'missing', '');
      throw new HttpError(401, 'an API key is required (Authorization: Bearer <key>)', 'unauthenticated');
    }
    const checked = await opts.keys.check(key);
    if (!checked.ok) {
      refused(req, checked.reason, checked.keyId);
      throw new HttpError(401, 'invalid or revoked API key', 'unauthenticated');
    }
    const principal = checked.principal;
    if (!roleAllows(principal.role, cfg.role)) {
      refused(req, 'forbidden_role', principal.id, principal.role);
      throw new HttpError(403, `role ${principal.role} may not do this (needs ${cfg.role})`, 'forbidden');
    }
    req.principal = principal;
  });
});
