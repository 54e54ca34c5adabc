/**
 * Logs from a real gateway, shipped the way they really are: Debian's NGINX in front of a small
 * upstream on loopback writes its access log three ways (the README's `combined` with
 * X-Forwarded-For and request time, the README's JSON `log_format`, and plain `combined` sent by
 * NGINX itself over syslog); Debian's rsyslog reads the two files (imfile) and the syslog
 * stream (imudp) and ships each to its own topic on the real broker (omkafka); the ingest
 * worker stores them. A client drives normal traffic (escaped quotes and UTF-8 in paths and
 * user agents, Basic users, `-` values, secrets in query strings) and a brute force on the login
 * route, over raw sockets so that every byte is what a client really sent. Every request must
 * arrive exactly once per log, parsed field by field as NGINX logged it, redacted, and the
 * brute force must raise its alert.
 *
 * Needs `nginx`, `rsyslog` and `rsyslog-kafka` from Debian (`.ci/run` installs them when
 * missing); without them the test fails and says so, it does not skip.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { openRuntime, type Runtime } from '../../services/shared/runtime.js';
import { inlineChunkProcessor } from '../../services/ingest/pipeline-threads.js';
import { buildPipeline } from '../../services/ingest/build-pipeline.js';
import { createClickHouseEventSink } from '../../services/storage/clickhouse-event-sink.js';
import { createClickHouseBatchJournal } from '../../services/storage/batch-journal.js';
import { KafkaIngestWorker } from '../../services/ingest/kafka-ingest-worker.js';
import { createClickHouseAlertStore } from '../../services/storage/clickhouse-alert-store.js';
import { createDetectionRunner } from '../../services/detect/detection-runner.js';
import { freePort } from '../../infra/kafka/broker.js';
import { silentLog, testConfig, tmpDir, unique, waitFor } from './helpers.js';

const brokers = inject('kafkaBrokers');
const OMKAFKA = ['/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so', '/usr/lib/aarch64-linux-gnu/rsyslog/omkafka.so', '/usr/lib/rsyslog/omkafka.so'];
const which = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin} || ls /usr/sbin/${bin}`], { encoding: 'utf8' }).status === 0;

let rt: Runtime;
let worker: KafkaIngestWorker | undefined;
const children: ChildProcess[] = [];
let upstream: http.Server;
let dir: string;
let nginxPort = 0;
const topics = { combined: unique('nginx-file'), json: unique('nginx-json'), syslog: unique('nginx-syslog') };
/** what the client sent, one entry per request */
const sent: Array<{ marker: string; method: string; target: string; xff: string; ua: string; user: string; status: number; bytes: number; at: number }> = [];

/** the README's JSON log_format (README.md, "Shipping logs from each gateway") */
function readmeJsonFormat(): string {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const m = /log_format gw escape=json '([^']+)';/.exec(readme);
  if (!m) throw new Error('the README no longer gives the JSON log_format');
  return m[1]!;
}

function start(name: string, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') console.error(`${name} exited (${code ?? signal}): ${out}`);
  });
  children.push(child);
  return child;
}

/** One request over a raw socket (bytes as given, Connection: close); resolves with the status line's code (the whole answer when it has none). */
function rawRequest(port: number, lines: string[]): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`, 'utf8')));
    let res = '';
    s.on('data', (d: Buffer) => (res += d.toString('latin1')));
    s.on('end', () => {
      const code = /^HTTP\/1\.1 (\d{3})/.exec(res)?.[1];
      resolve(code ? Number(code) : res || '(no answer)');
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  const missing = [...['nginx', 'rsyslogd'].filter((b) => !which(b)), ...(OMKAFKA.some((p) => existsSync(p)) ? [] : ['rsyslog-kafka (omkafka.so)'])];
  if (missing.length) throw new Error(`this test runs Debian's gateways: missing ${missing.join(', ')} (apt-get install -y nginx-light rsyslog rsyslog-kafka; .ci/run does it as root)`);
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  dir = tmpDir('gw-real-gateways-');
  // the upstream: a login that refuses anything but the right password, items of known sizes, a 404
  // (lengths given: NGINX's $body_bytes_sent would otherwise count its chunked framing)
  const answer = (res: http.ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  upstream = http.createServer((req, res) => {
    if (req.url?.startsWith('/v1/login')) {
      const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      const ok = auth.endsWith(':correct horse');
      answer(res, ok ? 200 : 401, ok ? '{"ok":true}' : '{"error":"bad credentials"}');
    } else if (req.url?.startsWith('/v1/missing')) answer(res, 404, 'nope');
    else answer(res, 200, JSON.stringify({ item: req.url, pad: 'x'.repeat(100) }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  nginxPort = await freePort();
  const syslogPort = await freePort();
  for (const d of ['nginx/tmp', 'rsyslog/work']) mkdirSync(join(dir, d), { recursive: true });
  const n = join(dir, 'nginx');
  writeFileSync(
    join(n, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${n}/nginx.pid;
error_log ${n}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${n}/tmp/body;
  proxy_temp_path ${n}/tmp/proxy;
  fastcgi_temp_path ${n}/tmp/fastcgi;
  uwsgi_temp_path ${n}/tmp/uwsgi;
  scgi_temp_path ${n}/tmp/scgi;
  log_format combinedx '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time';
  log_format gw escape=json '${readmeJsonFormat()}';
  server {
    listen 127.0.0.1:${nginxPort};
    access_log ${n}/combined.log combinedx;
    access_log ${n}/json.log gw;
    access_log syslog:server=127.0.0.1:${syslogPort},tag=nginx,nohostname combined;
    location / { proxy_pass http://127.0.0.1:${upstreamPort}; }
  }
}
`,
  );
  start('nginx', 'nginx', ['-p', n, '-c', join(n, 'nginx.conf')]);
  await waitFor(async () => existsSync(join(n, 'nginx.pid')) && existsSync(join(n, 'json.log')), Boolean, { what: 'nginx started', timeoutMs: 30_000 });
  const r = join(dir, 'rsyslog');
  const kafkaAction = (topic: string) => `action(type="omkafka" broker=["${brokers.join('","')}"] topic="${topic}" template="raw" confParam=["queue.buffering.max.ms=20", "socket.timeout.ms=10000"])`;
  writeFileSync(
    join(r, 'rsyslog.conf'),
    `global(workDirectory="${r}/work" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="imudp")
module(load="omkafka")
template(name="raw" type="string" string="%msg%")
input(type="imfile" file="${n}/combined.log" tag="nginx-combined" ruleset="combined")
input(type="imfile" file="${n}/json.log" tag="nginx-json" ruleset="json")
input(type="imudp" address="127.0.0.1" port="${syslogPort}" ruleset="syslog")
ruleset(name="combined") { ${kafkaAction(topics.combined)} }
ruleset(name="json") { ${kafkaAction(topics.json)} }
ruleset(name="syslog") { ${kafkaAction(topics.syslog)} }
`,
  );
  const check = spawnSync('rsyslogd', ['-N1', '-f', join(r, 'rsyslog.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`rsyslog refuses the configuration: ${check.stderr}${check.stdout}`);
  const admin = new Kafka({ brokers, clientId: 'real-gateways', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
  start('rsyslogd', 'rsyslogd', ['-n', '-f', join(r, 'rsyslog.conf'), '-i', join(r, 'rsyslog.pid')]);

  const config = testConfig({
    clickhouse: { retentionDays: 3650 },
    kafka: { brokers, topic: topics.combined, dlqTopic: `${topics.combined}-dlq`, groupId: `${topics.combined}-group`, topicFormats: { [topics.combined]: 'nginx-combined', [topics.json]: 'nginx-json', [topics.syslog]: 'nginx-combined' } },
    ingest: { batchMaxRows: 200, batchMaxAgeMs: 200, trustedProxies: ['127.0.0.1/32'] },
  });
  rt = await openRuntime(config, { role: 'test', log: silentLog });
  worker = new KafkaIngestWorker({
    kafka: new Kafka({ brokers, clientId: 'real-gateways-worker', logLevel: logLevel.NOTHING }),
    config,
    processor: inlineChunkProcessor(await buildPipeline(config, silentLog)),
    sink: createClickHouseEventSink(rt.store),
    journal: createClickHouseBatchJournal(rt.store),
    metrics: rt.metrics,
    log: silentLog,
  });
  await worker.start();
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await new Promise((r) => upstream?.close(r));
  await rt?.close();
});

async function rows<T>(sql: string): Promise<T[]> {
  return (await (await rt.store.client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
}

describe('NGINX → rsyslog (imfile, imudp) → Kafka (omkafka) → Gatewatch', () => {
  it('stores every request exactly once per log, field by field as NGINX logged it, redacted, and raises the brute force', async () => {
    const basic = (u: string, p: string) => `Authorization: Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const send = async (marker: string, o: { method?: string; target: string; xff: string; ua: string; user?: string; password?: string; status: number; bytes: number }) => {
      const at = Date.now();
      const lines = [`${o.method ?? 'GET'} ${o.target} HTTP/1.1`, `Host: api.example.com`, `User-Agent: ${o.ua}`, `X-Forwarded-For: ${o.xff}`, ...(o.user ? [basic(o.user, o.password ?? 'pw')] : [])];
      const status = await rawRequest(nginxPort, lines);
      expect(status).toBe(o.status);
      sent.push({ marker, method: o.method ?? 'GET', target: o.target, xff: o.xff, ua: o.ua, user: o.user ?? '', status: o.status, bytes: o.bytes, at });
    };
    const itemBytes = (target: string) => Buffer.byteLength(JSON.stringify({ item: target, pad: 'x'.repeat(100) }));
    // normal traffic: 30 users, some with a Basic user, a secret in every query string
    for (let i = 0; i < 30; i++) {
      const target = `/v1/items/${i}?api_key=sk_live_SECRET${i}abcdefghijklmnop&page=${i}`;
      await send(`item-${i}`, { target, xff: `198.51.100.${i + 1}`, ua: `client/${i} (Linux; x86_64)`, status: 200, bytes: itemBytes(target), ...(i % 3 === 0 ? { user: `user${i}` } : {}) });
    }
    // what escaping is for: quotes and UTF-8 in the path and the user agent, a backslash, a 404
    const odd = '/v1/caf%C3%A9/%E2%82%AC?q=%22x%22&token=tok_SECRETQUOTED0123456789';
    await send('odd', { target: odd, xff: '198.51.100.200', ua: 'Mozilla/5.0 "quoted" ünïcødé 🚀 back\\slash', user: 'café', status: 200, bytes: itemBytes(odd) });
    await send('missing', { target: '/v1/missing?x=1', xff: '198.51.100.201', ua: '-', status: 404, bytes: 4 });
    // a brute force: 40 wrong passwords for one account from one address, then the right one elsewhere
    for (let i = 0; i < 40; i++) await send(`login-${i}`, { method: 'POST', target: `/v1/login?attempt=${i}`, xff: '203.0.113.77', ua: 'python-requests/2.31', user: 'victim', password: `guess-${i}`, status: 401, bytes: Buffer.byteLength('{"error":"bad credentials"}') });
    await send('login-ok', { method: 'POST', target: '/v1/login?attempt=ok', xff: '198.51.100.9', ua: 'app/1.0', user: 'victim', password: 'correct horse', status: 200, bytes: Buffer.byteLength('{"ok":true}') });
    const total = sent.length;

    // every request, three times (two files and the syslog stream), and nothing more
    await waitFor(async () => Number((await rows<{ n: string }>(`SELECT count() AS n FROM events WHERE gateway = 'nginx'`))[0]!.n), (n) => n >= 3 * total, { what: 'the requests of all three logs stored', timeoutMs: 90_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const stored = await rows<{ format: string; via: string; path: string; query: string; n: string }>(
      `SELECT source_format AS format, if(client_ip = toIPv6('127.0.0.1'), 'syslog', 'file') AS via, path, query, count() AS n FROM events WHERE gateway = 'nginx' GROUP BY format, via, path, query`,
    );
    expect(stored.reduce((a, r) => a + Number(r.n), 0)).toBe(3 * total);
    expect(stored.filter((r) => Number(r.n) !== 1)).toEqual([]);
    const by = (format: string, via: string) => stored.filter((r) => r.format === format && r.via === via).length;
    expect([by('nginx-combined', 'file'), by('nginx-json', 'file'), by('nginx-combined', 'syslog')]).toEqual([total, total, total]);
    expect(await rows(`SELECT reason, detail, record FROM dead_letters`)).toEqual([]);

    // field by field, as NGINX logged them
    type Row = { format: string; method: string; path: string; query: string; status: number; bytes_out: number; ip: string; ua: string; principal_type: string; t: string; latency_ms: number };
    const events = await rows<Row>(
      `SELECT source_format AS format, method, path, query, status, bytes_out, replaceRegexpOne(IPv6NumToString(client_ip), '^::ffff:', '') AS ip, user_agent AS ua, principal_type, toString(event_time) AS t, latency_ms FROM events WHERE gateway = 'nginx'`,
    );
    for (const s of sent) {
      const [path, query] = s.target.split('?');
      // (the login attempts share a path: told apart by their query)
      const mine = events.filter((e) => (e.path === path || e.path === decodeURIComponent(path!)) && (!path!.startsWith('/v1/login') || e.query === query));
      expect(mine, s.marker).toHaveLength(3);
      for (const e of mine) {
        const viaSyslog = e.ip === '127.0.0.1';
        expect(e.method, s.marker).toBe(s.method);
        expect(e.status, s.marker).toBe(s.status);
        expect(e.bytes_out, s.marker).toBe(s.bytes);
        // X-Forwarded-For from a trusted proxy is the client; plain combined (syslog) has no XFF field
        expect(e.ip, s.marker).toBe(viaSyslog ? '127.0.0.1' : s.xff);
        // `-` is "no user agent"
        expect(e.ua, s.marker).toBe(s.ua === '-' ? '' : s.ua);
        // NGINX logs whole seconds: within the second the request was sent in (or the next)
        const t = Date.parse(`${e.t.replace(' ', 'T')}Z`);
        expect(t, s.marker).toBeGreaterThanOrEqual(Math.floor(s.at / 1000) * 1000);
        expect(t, s.marker).toBeLessThanOrEqual(s.at + 2000);
        expect(e.latency_ms, s.marker).toBeGreaterThanOrEqual(0);
        expect(e.latency_ms, s.marker).toBeLessThan(5000);
        // a Basic user is a principal where the format carries $remote_user (combined)
        if (e.format === 'nginx-combined' && s.user) expect(e.principal_type, s.marker).toBe('basic');
      }
    }
    // the UTF-8 path and user agent, and the quotes NGINX escaped, read back as sent
    const odd1 = events.filter((e) => e.ua.startsWith('Mozilla/5.0'));
    expect(odd1.map((e) => e.ua)).toEqual(Array(3).fill('Mozilla/5.0 "quoted" ünïcødé 🚀 back\\slash'));
    // no secret from a query string is stored anywhere
    const leaks = await rows<{ n: string }>(`SELECT count() AS n FROM events WHERE position(query, 'SECRET') > 0 OR position(path, 'SECRET') > 0 OR position(toString(headers), 'SECRET') > 0`);
    expect(Number(leaks[0]!.n)).toBe(0);
    expect(events.filter((e) => e.query.includes('api_key=')).every((e) => /api_key=\[REDACTED/.test(e.query))).toBe(true);

    // the brute force raises its alert
    const runner = createDetectionRunner({ config: rt.config, store: rt.store, alerts: createClickHouseAlertStore(rt.store), metrics: rt.metrics, log: silentLog, now: Date.now });
    const from = Math.floor(sent[0]!.at / 60_000) * 60_000 - 60_000;
    await runner.scoreRange({ from, to: Math.ceil(Date.now() / 60_000) * 60_000 + 60_000 });
    const alerts = await rows<{ detector: string; entity_value: string }>(`SELECT detector, entity_value FROM alerts_current WHERE detector = 'brute_force'`);
    expect(alerts.map((a) => a.entity_value)).toContain('203.0.113.77');
  }, 240_000);
});
