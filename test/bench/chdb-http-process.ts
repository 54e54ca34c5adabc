/**
 * bench:ingest's stand-in for a ClickHouse server: the embedded engine behind ClickHouse's
 * HTTP interface (test/clickhouse-http/chdb-http-server.ts) in a process of its own. Prints
 * its URL on the first line of stdout; stops on SIGTERM.
 *   node --import tsx test/bench/chdb-http-process.ts DATA_DIR PASSWORD [PORT]
 * (a port given again after a stop brings the "server" back where its clients look for it)
 */
import { startChdbHttpServer } from '../clickhouse-http/chdb-http-server.js';

const [path, password, port] = process.argv.slice(2);
if (!path || !password) throw new Error('usage: chdb-http-process.ts DATA_DIR PASSWORD [PORT]');
const server = await startChdbHttpServer({ path, users: { gatewatch: { password } }, ...(port ? { port: Number(port) } : {}) });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
