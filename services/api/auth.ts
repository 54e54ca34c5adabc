/**
 * Every route declares the role it needs (`config: { role }`) or that it is public; a route
 * that declares neither is refused at start-up, so an endpoint cannot ship unguarded by
 * omission. Keys come as `Authorization: Bearer gw_…` or `X-API-Key: gw_…`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { roleAllows, type ApiKeyStore, type Role } from './api-keys.js';

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

export const authPlugin = fp(async (app: FastifyInstance, opts: { keys: ApiKeyStore }) => {
  const guarded: FastifyInstance['guardedRoutes'] = [];
  app.decorate('guardedRoutes', guarded);
  app.addHook('onRoute', (route) => {
    const cfg = route.config as { role?: Role; public?: boolean } | undefined;
    if (!cfg?.role && !cfg?.public && !route.url.startsWith('/docs')) {
      throw new Error(`route ${route.method} ${route.url} declares neither a role nor public: true`);
    }
    for (const method of [route.method].flat()) if (method !== 'HEAD') guarded.push({ method, url: route.url, ...(cfg?.role ? { role: cfg.role } : {}), public: cfg?.public === true });
  });
  app.addHook('onRequest', async (req) => {
    const cfg = req.routeOptions.config;
    if (cfg.public || !cfg.role) return;
    const key = presentedKey(req);
    if (!key) throw new HttpError(401, 'an API key is required (Authorization: Bearer <key>)', 'unauthenticated');
    const principal = await opts.keys.verify(key);
    if (!principal) throw new HttpError(401, 'invalid or revoked API key', 'unauthenticated');
    if (!roleAllows(principal.role, cfg.role)) {
      throw new HttpError(403, `role ${principal.role} may not do this (needs ${cfg.role})`, 'forbidden');
    }
    req.principal = principal;
  });
});
