/** `npm run kafka`: a local broker for development, on 127.0.0.1:9092 unless KAFKA_PORT says otherwise. */
import { startBroker } from './broker.js';

const port = Number(process.env.KAFKA_PORT ?? 9092);
const broker = await startBroker({ port, log: (m) => console.log(m) });
console.log(`export KAFKA_BROKERS=${broker.brokers.join(',')}   # then: npm start`);
console.log('Ctrl-C stops the broker and deletes its data.');
const shutdown = async () => {
  await broker.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
