/** Talking to the test broker: create a topic and fill it, wait for a group to commit, read a topic back. */
import { Kafka, logLevel } from 'kafkajs';

export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'test', logLevel: logLevel.NOTHING });
}

export async function produce(kafka: Kafka, topic: string, values: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  // No retries: a retried send can put a record on the topic twice and make the counts lie.
  // (kafkajs' idempotent producer would prevent that, but under load it fails with "out of
  // order sequence number", tulios/kafkajs#598.) A long timeout makes a failed send rare; one
  // fails the test loudly rather than skewing it.
  const producer = kafka.producer({ maxInFlightRequests: 1, retry: { retries: 0 } });
  await producer.connect();
  for (let i = 0; i < values.length; i += 500) {
    await producer.send({ topic, acks: -1, timeout: 30_000, messages: values.slice(i, i + 500).map((value, j) => ({ key: String(i + j), value })) });
  }
  await producer.disconnect();
}

/** Committed offset of every partition has reached its high watermark. */
export async function fullyCommitted(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
  } catch {
    return false; // coordinator not ready yet: ask again
  } finally {
    await admin.disconnect();
  }
}

/** Every message on a topic, from the beginning to the high watermark at call time. */
export async function readTopic(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  const out: string[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          out.push(message.value?.toString('utf8') ?? '');
          if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}
