/**
 * Starts one real Kafka broker for the whole integration suite and stops it afterwards.
 * Tests isolate themselves with unique topic and group names, not with brokers.
 */
import type { TestProject } from 'vitest/node';
import { startBroker, type RunningBroker } from '../../infra/kafka/broker.js';

let broker: RunningBroker | undefined;

export async function setup(project: TestProject): Promise<void> {
  broker = await startBroker({ log: (m) => console.log(`[kafka] ${m}`), heapMb: 768 });
  project.provide('kafkaBrokers', broker.brokers);
}

export async function teardown(): Promise<void> {
  await broker?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}
