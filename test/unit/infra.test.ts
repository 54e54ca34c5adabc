/**
 * The production deployment in infra/ (compose file, image, ClickHouse users) cannot be run
 * here (no Docker engine), so its parts are checked against the code they configure: every
 * role's environment is a valid Gatewatch config, secrets come only from the environment and
 * are required, the service names line up, and the read-only SQL user is granted exactly the
 * tables the API lets analyst SQL read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/shared/config.js';
import { SQL_SYSTEM_TABLES, SQL_TABLES } from '../../services/api/routes/query-routes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const INFRA = join(ROOT, 'infra');
const read = (p: string) => readFileSync(join(INFRA, p), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const ROLES = ['api', 'ingest', 'detect', 'notify'];
const SECRETS = { GATEWATCH_CLICKHOUSE_PASSWORD: 'p'.repeat(48), GATEWATCH_CLICKHOUSE_QUERY_PASSWORD: 'q'.repeat(48), GATEWATCH_FINGERPRINT_KEY: 'f'.repeat(64) };

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (an unset required variable stops it). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`required variable ${name} is missing: ${arg}`);
    return op === '-' ? arg : '';
  });
}
const envOf = (s: Service, env: Record<string, string> = SECRETS) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));

/** The users file, comments removed. */
const usersXml = read('clickhouse/users.d/gatewatch.xml').replace(/<!--[\s\S]*?-->/g, '');
const section = (xml: string, tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1];
const users = section(usersXml, 'users')!;
const grantsOf = (user: string) => [...(section(section(users, user) ?? '', 'grants') ?? '').matchAll(/<query>([^<]+)<\/query>/g)].map((m) => m[1]!.trim());

describe('infra/compose.yaml', () => {
  it('runs each role of the one image, after Kafka and ClickHouse answer', () => {
    for (const role of ROLES) {
      const s = compose.services[role]!;
      expect(s.command, role).toEqual([role]);
      expect(existsSync(join(INFRA, s.build!.context, s.build!.dockerfile)), role).toBe(true);
      expect(s.depends_on, role).toEqual({ kafka: { condition: 'service_healthy' }, clickhouse: { condition: 'service_healthy' } });
    }
    const cli = readFileSync(join(ROOT, 'services', 'cli', 'main.ts'), 'utf8');
    for (const role of ROLES) expect(cli, `CLI command ${role}`).toMatch(new RegExp(`\\.command\\(['"]${role}\\b`));
  });

  it("gives every role a configuration Gatewatch accepts, on the compose network's names", () => {
    for (const role of ROLES) {
      const config = loadConfig(envOf(compose.services[role]!));
      expect(config.clickhouse.url).toBe('http://clickhouse:8123');
      expect(config.clickhouse.username).toBe('gatewatch');
      expect(config.clickhouse.queryUsername).toBe('gatewatch_query');
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
      expect(config.fingerprintKey).toBe(SECRETS.GATEWATCH_FINGERPRINT_KEY);
    }
    const kafka = envOf(compose.services.kafka!);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:9092');
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain('EXTERNAL://localhost:9094');
    expect(compose.services.kafka!.ports).toEqual(['9094:9094']);
    // ClickHouse is reached only on the compose network
    expect(compose.services.clickhouse!.ports).toBeUndefined();
    expect(compose.services.api!.ports).toEqual(['8080:8080']);
  });

  it('takes every secret from the environment, required, with no default and no literal', () => {
    const raw = read('compose.yaml');
    for (const name of Object.keys(SECRETS)) {
      const uses = [...raw.matchAll(new RegExp(`\\$\\{${name}([^}]*)\\}`, 'g'))].map((m) => m[1]!);
      expect(uses.length, name).toBeGreaterThan(0);
      for (const u of uses) expect(u, name).toMatch(/^:\?/);
      const without: Record<string, string> = { ...SECRETS };
      delete without[name];
      const users = Object.entries(compose.services).filter(([, s]) => Object.values(s.environment ?? {}).some((v) => String(v).includes(`\${${name}`)));
      expect(users.length, name).toBeGreaterThan(0);
      for (const [service, s] of users) expect(() => envOf(s, without), `${service} without ${name}`).toThrow(new RegExp(`required variable ${name}`));
    }
    for (const role of ROLES) expect(() => envOf(compose.services[role]!, {}), role).toThrow(/required variable GATEWATCH_/);
    for (const value of Object.values(SECRETS)) expect(raw).not.toContain(value);
  });
});

describe('infra/clickhouse/users.d/gatewatch.xml', () => {
  it('is well-formed: every element closed, in order', () => {
    const stack: string[] = [];
    for (const m of usersXml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([\w.-]+)([^>]*?)(\/?)>/g)) {
      const [, closing, name, , selfClosing] = m;
      if (selfClosing) continue;
      if (closing) expect(stack.pop(), `</${name}>`).toBe(name);
      else stack.push(name!);
    }
    expect(stack).toEqual([]);
  });

  it('defines the users the compose file names, with passwords from the server environment', () => {
    const clickhouseEnv = Object.keys(compose.services.clickhouse!.environment ?? {});
    for (const user of ['gatewatch', 'gatewatch_query']) {
      const body = section(users, user);
      expect(body, user).toBeDefined();
      const from = /<password from_env="(\w+)"\s*\/>/.exec(body!)?.[1];
      expect(clickhouseEnv, user).toContain(from);
      expect(body, user).not.toMatch(/<password>[^<]/); // never a literal password
    }
  });

  it('grants the SQL user exactly the tables the API lets analyst SQL read, read-only', () => {
    const grants = grantsOf('gatewatch_query');
    const tables = grants.map((g) => /^GRANT SELECT ON (\S+)$/.exec(g)?.[1]).filter((t): t is string => t !== undefined);
    expect(tables.filter((t) => t.startsWith('gatewatch.')).map((t) => t.slice('gatewatch.'.length)).sort()).toEqual([...SQL_TABLES].sort());
    expect(tables.filter((t) => t.startsWith('system.')).sort()).toEqual([...SQL_SYSTEM_TABLES].sort());
    expect(grants.filter((g) => !/^GRANT SELECT ON /.test(g))).toEqual(['GRANT CREATE TEMPORARY TABLE ON *.*']);
    for (const secret of ['api_keys', 'channels', 'ingest_batches']) expect(grants.join('\n')).not.toContain(secret);
    expect(section(section(usersXml, 'profiles')!, 'gatewatch_query')).toMatch(/<readonly>2<\/readonly>/);
    expect(grantsOf('gatewatch')).toEqual(['GRANT ALL ON gatewatch.*', 'GRANT SELECT ON system.*']);
  });
});

describe('infra/Dockerfile', () => {
  it('runs the CLI as an unprivileged user, and keeps local state and secrets out of the build', () => {
    const docker = read('Dockerfile');
    expect(docker).toMatch(/^ENTRYPOINT \["node", "bin\/gatewatch\.js"\]$/m);
    expect(existsSync(join(ROOT, 'bin', 'gatewatch.js'))).toBe(true);
    expect(docker).toMatch(/^USER node$/m);
    const ignored = read('Dockerfile.dockerignore').split('\n');
    for (const p of ['node_modules', 'data', '.git', '.tmp', 'infra/kafka/.cache']) expect(ignored).toContain(p);
  });
});
