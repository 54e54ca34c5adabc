/**
 * The dashboard: a single-page app built into dashboards/dist at `npm install` (see
 * dashboards/build.mjs), served here from memory. Only the files the build wrote are served
 * (no path from a request ever reaches the file system); the page itself holds no data, so it
 * is public, and everything it shows comes from the API with the key the user logs in with.
 * Files go out brotli- or gzip-compressed when the browser accepts it (precompressed by the
 * build; compressed here at load when the build did not). No source map is ever served.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_DIST = resolve(fileURLToPath(new URL('../../dashboards/dist', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

// scripts from this origin only; CodeMirror and uPlot set inline styles; the API is same-origin
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  br: Buffer;
  gz: Buffer;
  type: string;
  etag: string;
}

function compressed(p: string, ext: '.br' | '.gz', body: Buffer): Buffer {
  if (existsSync(p + ext)) return readFileSync(p + ext);
  return ext === '.br' ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }) : gzipSync(body, { level: 6 });
}

/** `br`, `gzip` or undefined: what the client accepts (q=0 refuses), brotli first */
export function pickEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (!accept) return undefined;
  const ok = new Set<string>();
  for (const part of accept.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((x) => /^\s*q=([\d.]+)\s*$/.exec(x)?.[1]).find((x) => x !== undefined);
    if (name && (q === undefined || Number(q) > 0)) ok.add(name.trim());
  }
  if (ok.has('br')) return 'br';
  if (ok.has('gzip')) return 'gzip';
  return undefined;
}

function load(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (TYPES[extname(e.name)]) {
        const body = readFileSync(p);
        out.set('/' + relative(dir, p).split('\\').join('/'), { body, br: compressed(p, '.br', body), gz: compressed(p, '.gz', body), type: TYPES[extname(e.name)]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const MISSING = `<!doctype html><meta charset="utf-8"><title>Gatewatch</title><body style="font:16px system-ui;background:#0f1115;color:#d7dae0;padding:3em">
<h1>The dashboard is not built</h1><p>It is built by <code>npm install</code> (or <code>npm run build:dashboard</code>). The API itself works: see <a style="color:#6cb6ff" href="/docs">/docs</a>.</p>`;

export function registerDashboard(app: FastifyInstance, dir = DASHBOARD_DIST): void {
  const assets = load(dir);
  const send = (path: string, reply: import('fastify').FastifyReply, ifNoneMatch: string | undefined, acceptEncoding?: string) => {
    const a = assets.get(path);
    if (!a) return false;
    const enc = pickEncoding(acceptEncoding);
    // each encoding is its own representation, with its own strong ETag
    const etag = enc ? `${a.etag.slice(0, -1)}-${enc}"` : a.etag;
    reply.header('content-type', a.type).header('etag', etag).header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
    // the HTML names the hashed bundles, so it is revalidated; the bundles can be cached
    reply.header('cache-control', path === '/index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    if (path === '/index.html') reply.header('content-security-policy', CSP);
    if (ifNoneMatch === etag) {
      reply.code(304).send();
      return true;
    }
    if (enc) reply.header('content-encoding', enc);
    reply.send(enc === 'br' ? a.br : enc === 'gzip' ? a.gz : a.body);
    return true;
  };
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    if (!send('/index.html', reply, req.headers['if-none-match'], req.headers['accept-encoding'])) reply.code(503).header('content-type', 'text/html; charset=utf-8').send(MISSING);
    return reply;
  });
  app.get('/assets/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const path = `/assets/${(req.params as { '*': string })['*']}`;
    if (!send(path, reply, req.headers['if-none-match'], req.headers['accept-encoding'])) reply.code(404).send({ error: `no dashboard file ${path.slice(0, 200)}`, code: 'not_found' });
    return reply;
  });
}
