/**
 * The `gatewatch` command line. Every subcommand here does what it says; commands arrive
 * with the issue that implements them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FORMATS, type Config, type LogFormat } from '../../schemas/config-schema.js';
import { loadConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { closeOnSignals, openRuntime } from '../shared/runtime.js';
import { startAll } from '../start/start-role.js';
import { startIngestRole } from '../ingest/ingest-role.js';
import { startApiRole } from '../api/api-role.js';
import { queryCommand } from './query-command.js';
import { replayCommand } from './replay-command.js';
import { alertsCommand } from './alerts-command.js';
import { incidentShowCommand, incidentsCommand, incidentTransitionCommand } from './incidents-command.js';
import { demoCommand } from '../demo/demo-command.js';
import { scoreSeriesCommand } from './score-series-command.js';
import { notifyTestCommand } from './notify-command.js';
import { silenceAdd, silenceExpire, silenceList } from './silence-command.js';
import { keysCreate, keysList, keysRevoke } from './keys-command.js';
import { startNotifyRole } from '../notify/notify-role.js';
import { startDetectRole } from '../detect/detect-role.js';

function config(): Config {
  return loadConfig(process.env);
}

function formatOption(v: string): LogFormat | 'auto' {
  if (v === 'auto' || (FORMATS as readonly string[]).includes(v)) return v as LogFormat | 'auto';
  throw new InvalidArgumentError(`expected auto or one of ${FORMATS.join(', ')}`);
}

function positiveInt(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name}: an integer from ${min} to ${max}`);
    return n;
  };
}

export function buildCli(): Command {
  const program = new Command('gatewatch')
    .description('Log analytics and anomaly detection for API gateway access logs')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  program
    .command('start')
    .description('run every role in one process: ingest, detection, API (embedded store in ./data unless CLICKHOUSE_URL is set)')
    .action(async () => {
      await startAll(config());
    });

  program
    .command('ingest')
    .description('run only the Kafka ingest worker (needs KAFKA_BROKERS)')
    .action(async () => {
      const c = config();
      if (c.kafka.brokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'the ingest role consumes Kafka: set KAFKA_BROKERS (host:port,…)');
      const rt = await openRuntime(c, { role: 'ingest' });
      closeOnSignals(rt);
      await startIngestRole(rt, { runWorker: true });
    });

  program
    .command('api')
    .description('run only the HTTP API (POST /v1/ingest produces to Kafka when KAFKA_BROKERS is set)')
    .action(async () => {
      const rt = await openRuntime(config(), { role: 'api' });
      closeOnSignals(rt);
      const ingest = await startIngestRole(rt, { runWorker: false });
      await startApiRole(rt, ingest.gateway);
    });

  program
    .command('detect')
    .description('run only detection: score closed event-time windows every detect.cycleSec and store alerts')
    .action(async () => {
      const rt = await openRuntime(config(), { role: 'detect' });
      closeOnSignals(rt);
      startDetectRole(rt);
    });

  program
    .command('notify')
    .description('run only the notifier (deliver new alerts to the configured channels), or `notify test CHANNEL`')
    .argument('[action]', '`test` sends a test alert to one channel')
    .argument('[channel]', 'the channel to test')
    .action(async (action?: string, channel?: string) => {
      if (action === 'test') {
        if (!channel) throw new InvalidArgumentError('notify test needs a channel name');
        await notifyTestCommand(config(), channel);
        return;
      }
      if (action) throw new InvalidArgumentError(`unknown notify action ${JSON.stringify(action)} (only: test)`);
      const rt = await openRuntime(config(), { role: 'notify' });
      closeOnSignals(rt);
      startNotifyRole(rt);
    });

  const keys = program.command('keys').description('API keys: create (the secret is printed once), list, revoke');
  keys
    .command('create')
    .requiredOption('--name <name>', 'what the key is for, e.g. "kong-eu gateway"')
    .addOption(new Option('--role <role>', 'ingest: push logs only; viewer; analyst: + SQL and alert actions; admin: everything').choices(['ingest', 'viewer', 'analyst', 'admin']).makeOptionMandatory())
    .action(async (o: { name: string; role: 'ingest' | 'viewer' | 'analyst' | 'admin' }) => keysCreate(config(), o.name, o.role));
  keys.command('list').action(async () => keysList(config()));
  keys.command('revoke').argument('<id>', 'the key id (the part after gw_)').action(async (id: string) => keysRevoke(config(), id));

  const silence = program.command('silence').description('silence notifications for a while (alerts are still stored)');
  silence
    .command('add')
    .description('add a silence; at least one matcher')
    .option('--detector <name>')
    .addOption(new Option('--severity <severity>').choices(['low', 'medium', 'high', 'critical']))
    .addOption(new Option('--entity-type <type>').choices(['ip', 'principal', 'route', 'gateway', 'country']))
    .option('--entity-value <value>', '`*` wildcards; a CIDR for IPs')
    .option('--route <route>', '`*` wildcards')
    .option('--duration <minutes>', 'how long', positiveInt('--duration', 1, 90 * 24 * 60), 60)
    .requiredOption('--comment <text>', 'why')
    .action(async (o: { detector?: string; severity?: string; entityType?: string; entityValue?: string; route?: string; duration: number; comment: string }) => {
      const matchers = Object.fromEntries(Object.entries({ detector: o.detector, severity: o.severity, entity_type: o.entityType, entity_value: o.entityValue, route: o.route }).filter(([, v]) => v !== undefined));
      await silenceAdd(config(), matchers, o.duration, o.comment);
    });
  silence.command('list').description('silences not yet ended').option('--all', 'ended ones too').action(async (o: { all?: boolean }) => silenceList(config(), o.all === true));
  silence.command('expire').description('end a silence now').argument('<id>').action(async (id: string) => silenceExpire(config(), id));

  program
    .command('demo')
    .description('simulated gateways with scripted attacks, fed to the running service (or to one started here)')
    .addOption(new Option('--world <world>', 'realistic: several networks per user, NAT, VPNs, travellers, bots, seasonality, deploys; simple: one address per user').choices(['realistic', 'simple']).default('realistic'))
    .option('--history-days <d>', 'realistic world: days of history stored first and not scored (baselines and familiar places learn from them)', positiveInt('--history-days', 0, 30), 4)
    .option('--backfill-hours <h>', 'hours scored before going live (with a round of attacks in the last one)', positiveInt('--backfill-hours', 1, 336), 6)
    .option('--rate <n>', "requests per minute at the daily peak (default: the world's, 150 realistic, 120 simple)", positiveInt('--rate', 1, 100_000))
    .option('--minutes <n>', 'stop after this many live minutes (default: run until interrupted)', positiveInt('--minutes', 1, 100_000))
    .action(async (opts: { world: 'realistic' | 'simple'; historyDays: number; backfillHours: number; rate?: number; minutes?: number }) => {
      await demoCommand(config(), opts);
    });

  program
    .command('score-series')
    .description('score a timestamp,value CSV with a detector and print timestamp,value,anomaly_score (for the Numenta Anomaly Benchmark)')
    .requiredOption('--detector <name>', 'the detector to score with (volume)')
    .argument('<file>', 'CSV with a timestamp,value header')
    .action((file: string, opts: { detector: string }) => {
      scoreSeriesCommand(file, opts.detector);
    });

  program
    .command('alerts')
    .description('list alerts, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--status <status>', 'only alerts in this state').choices(['open', 'acknowledged', 'resolved']))
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 1000), 100)
    .action(async (opts: { json?: boolean; status?: string; limit: number }) => {
      await alertsCommand(config(), opts);
    });

  const incidents = program
    .command('incidents')
    .description('list incidents (the alerts of one attack together), newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--status <status>', 'only incidents in this state').choices(['open', 'acknowledged', 'resolved']))
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 1000), 100)
    .action(async (opts: { json?: boolean; status?: 'open' | 'acknowledged' | 'resolved'; limit: number }) => {
      await incidentsCommand(config(), opts);
    });
  incidents
    .command('show')
    .description('one incident: its alerts, entities and trail')
    .argument('<id>', 'incident id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await incidentShowCommand(config(), id, opts);
    });
  incidents
    .command('silence')
    .description("hold an incident's notifications back for a while (its alerts are still recorded)")
    .argument('<id>', 'incident id')
    .option('--duration <minutes>', 'how long', positiveInt('--duration', 1, 30 * 24 * 60), 60)
    .option('--comment <text>', 'why (kept in the trail)')
    .action(async (id: string, opts: { comment?: string; duration: number }) => {
      await incidentTransitionCommand(config(), 'silence', id, opts);
    });
  for (const action of ['ack', 'resolve', 'reopen', 'unsilence'] as const) {
    incidents
      .command(action)
      .description({ ack: 'acknowledge an open incident and its open alerts', resolve: 'resolve an incident and its alerts', reopen: 'reopen a resolved incident', unsilence: "lift an incident's silence" }[action])
      .argument('<id>', 'incident id')
      .option('--comment <text>', 'why (kept in the trail)')
      .action(async (id: string, opts: { comment?: string }) => {
        await incidentTransitionCommand(config(), action, id, opts);
      });
  }

  program
    .command('replay')
    .description('backfill log files (plain or .gz, one record per line) with their original timestamps')
    .argument('<files...>', 'log files')
    .addOption(new Option('--format <format>', 'record format').default('auto').argParser(formatOption))
    .option('--no-progress', 'no progress bar')
    .action(async (files: string[], opts: { format: LogFormat | 'auto'; progress: boolean }) => {
      const totals = await replayCommand(config(), files, { format: opts.format, progress: opts.progress && process.stderr.isTTY === true });
      const reasons = Object.entries(totals.reasons).map(([k, v]) => `${k}: ${v}`).join(', ');
      console.log(`replayed ${totals.files} file(s): ${totals.records} records, ${totals.stored + totals.queued} ${totals.queued ? 'queued' : 'stored'}, ${totals.rejected} rejected${reasons ? ` (${reasons})` : ''}`);
      if (totals.detection) {
        const d = totals.detection;
        console.log(`scored ${totals.eventTimes?.min} – ${totals.eventTimes?.max}: ${d.opened} alert(s) opened, ${d.extended} extended${d.failed.length ? `; failed detectors: ${d.failed.join(', ')}` : ''}`);
        if (d.failed.length) process.exitCode = 1;
      }
    });

  program
    .command('query')
    .description('run read-only SQL over the history; a trailing FORMAT clause is honoured')
    .argument('<sql>', 'a SELECT statement, e.g. "SELECT count() FROM events"')
    .option('--format <format>', 'ClickHouse output format (default: PrettyCompact on a terminal, TSV otherwise)')
    .action(async (sql: string, opts: { format?: string }) => {
      await queryCommand(config(), sql, opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `gatewatch … | head` closes the pipe early: that is the reader's choice, not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`gatewatch: ${message}\n`);
    process.exit(err instanceof ConfigError ? 78 : 1);
  }
}
