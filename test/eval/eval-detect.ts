/**
 * npm run eval:detect [-- --world realistic|simple] [--history DAYS] [--false N]
 *
 * Three simulated days (the realistic world by default: several networks per user, GeoIP
 * noise, CGNAT, office NAT, VPN users, travellers, monitors, a crawler, nightly exports, a
 * marketing burst and a deploy) with an attack of every detector family, after days of
 * history (default 4; 0 for a cold start), stored through the ingest pipeline into the
 * embedded engine and scored as `gatewatch replay` does. Prints, per attack, whether its own
 * detector named it and how fast (event time), the alerts it explains, and every alert it
 * does not explain as false, per day and per detector.
 */
import { useRunTmpDir } from '../run-tmp.js';
import { DAYS, HISTORY_DAYS } from './scenario.js';
import { formatReport } from './evaluate.js';
import { runEvaluation } from './run-eval.js';

useRunTmpDir('gatewatch-eval-run-', { signals: true });
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const world = arg('world', 'realistic') as 'realistic' | 'simple';
const historyDays = Number(arg('history', String(HISTORY_DAYS)));
const run = await runEvaluation({ world, historyDays });
const perDay = Math.round(run.records / (DAYS + historyDays)).toLocaleString('en-US');
console.log(
  `world: ${world}; ${historyDays} days of history stored, ${DAYS} days scored; ${run.records.toLocaleString('en-US')} records (${perDay} a day), stored in ${(run.storeMs / 1000).toFixed(1)} s, scored ${DAYS} days in ${(run.scoreMs / 1000).toFixed(1)} s${run.failed.length ? `, FAILED detectors: ${run.failed.join(', ')}` : ''}`,
);
console.log(formatReport(run.evaluation, { falseSamples: Number(arg('false', '15')) }));
