/**
 * A real Apache Kafka broker for tests and local development: the official jars fetched from
 * Maven Central by `mvn dependency:copy-dependencies` (infra/kafka/pom.xml) into a git-ignored
 * cache, started as a single-node KRaft broker+controller on free loopback ports with a
 * temporary log directory. No Docker, no mock.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const KAFKA_VERSION = '4.4.0';
const CACHE = join(HERE, '.cache', `lib-${KAFKA_VERSION}`);

export class KafkaSetupError extends Error {
  override name = 'KafkaSetupError';
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function requireTool(cmd: string, what: string): void {
  if (!which(cmd)) {
    throw new KafkaSetupError(
      `${cmd} not found: the local Kafka broker needs ${what}. On Debian/Ubuntu: apt-get install -y ${cmd === 'java' ? 'openjdk-17-jre-headless' : 'maven'} (Java 17+ and Maven 3.6+).`,
    );
  }
}

/** Fetches the broker jars once; later calls find them in the cache. */
export function ensureKafkaJars(log: (msg: string) => void = () => {}): string {
  requireTool('java', 'Java 17 or newer');
  const ready = existsSync(CACHE) && readdirSync(CACHE).some((f) => f.startsWith('kafka_2.13-'));
  if (ready) return CACHE;
  requireTool('mvn', 'Apache Maven');
  log(`fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${CACHE}`);
  const r = spawnSync('mvn', ['-q', '-B', '-f', join(HERE, 'pom.xml'), `-Dkafka.version=${KAFKA_VERSION}`, 'dependency:copy-dependencies'], { stdio: 'inherit' });
  if (r.status !== 0) throw new KafkaSetupError(`mvn dependency:copy-dependencies failed (exit ${r.status}); see the Maven output above`);
  return CACHE;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface RunningBroker {
  brokers: string[];
  port: number;
  /** the KRaft controller's port: a restart on the same data directory passes it back */
  controllerPort: number;
  logDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartBrokerOptions {
  port?: number;
  controllerPort?: number;
  dataDir?: string;
  keepData?: boolean;
  heapMb?: number;
  log?: (msg: string) => void;
  timeoutMs?: number;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const log = opts.log ?? (() => {});
  const lib = ensureKafkaJars(log);
  const port = opts.port ?? (await freePort());
  const controllerPort = opts.controllerPort ?? (await freePort());
  const base = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gatewatch-kafka-'));
  const logDir = join(base, 'logs');
  mkdirSync(logDir, { recursive: true });
  const props = join(base, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${logDir}`,
      'num.partitions=1',
      'auto.create.topics.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=24',
      'message.max.bytes=16777216',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(base, 'log4j2.properties'),
    ['rootLogger.level=WARN', 'rootLogger.appenderRef.file.ref=FILE', 'appender.file.type=File', 'appender.file.name=FILE', `appender.file.fileName=${join(base, 'broker.log')}`, 'appender.file.layout.type=PatternLayout', 'appender.file.layout.pattern=[%d] %p %m (%c)%n', ''].join('\n'),
  );
  const cp = `${lib}/*`;
  const jvm = [`-Xmx${opts.heapMb ?? 512}m`, `-Xms${Math.min(opts.heapMb ?? 512, 256)}m`, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(base, 'log4j2.properties')}`];
  if (!existsSync(join(logDir, 'meta.properties'))) {
    // A base64url id can begin with '-', which the tool's argument parser takes for an option
    // (one start in 64 failed with a usage message): pass it as `--cluster-id=<id>`.
    const clusterId = randomBytes(16).toString('base64url');
    const fmt = spawnSync('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, `--config=${props}`], { encoding: 'utf8' });
    if (fmt.status !== 0) throw new KafkaSetupError(`formatting the KRaft log dir failed: ${fmt.stderr || fmt.stdout}`);
  }
  const out = createWriteStream(join(base, 'stdout.log'));
  const child = spawn('java', [...jvm, '-cp', cp, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (!(await portOpen(port))) {
    if (exited) throw new KafkaSetupError(`Kafka exited during start-up; see ${join(base, 'stdout.log')} and ${join(base, 'broker.log')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new KafkaSetupError(`Kafka did not open 127.0.0.1:${port} within ${opts.timeoutMs ?? 90_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`Kafka ${KAFKA_VERSION} listening on 127.0.0.1:${port} (data in ${base})`);
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    controllerPort,
    logDir,
    process: child,
    async stop() {
      if (!exited) {
        const done = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await done;
        clearTimeout(timeout);
      }
      if (!opts.keepData) rmSync(base, { recursive: true, force: true });
    },
  };
}
