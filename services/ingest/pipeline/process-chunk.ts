/**
 * The pipeline over a run of Kafka messages at once, with a result made of a few flat arrays
 * and one buffer of encoded rows: the shape that crosses a thread boundary cheaply (the
 * arrays are transferred, not copied) and that the consumer loop reads message by message.
 * Message i's rows are `rows[rowEnds[i] .. rowEnds[i + 1])`; its format, redaction counts and
 * dead letters are found the same way. Pure given processRecord.
 */
import { FORMATS, type LogFormat } from '../../../schemas/config-schema.js';
import { RowWriter } from '../row-writer.js';
import type { DeadLetter, ProcessRecord } from './process-record.js';

/** Format hints by index: 0 is auto-detection, then FORMATS in order. */
export const HINTS: ReadonlyArray<LogFormat | 'auto'> = ['auto', ...FORMATS];
const HINT_INDEX = new Map(HINTS.map((h, i) => [h, i]));
/** hint index of a message without a value (a tombstone): nothing to process */
export const NO_VALUE = 255;
const NO_FORMAT = 255;

export interface RawChunk {
  /** the messages' values, back to back */
  data: Uint8Array;
  /** n + 1 offsets into data */
  ends: Uint32Array;
  /** n hint indexes into HINTS, NO_VALUE for a message without a value */
  hints: Uint8Array;
}

export interface ProcessedChunk {
  count: number;
  rows: Uint8Array;
  rowEnds: Uint32Array;
  /** events made from message i */
  events: Uint32Array;
  /** FORMATS index of message i's events */
  formats: Uint8Array;
  /** message i's redaction counts are pairs redStart[i] .. redStart[i + 1] of redPairs (type index, count) */
  redStart: Uint32Array;
  redPairs: Uint32Array;
  redTypes: string[];
  letters: Map<number, DeadLetter[]>;
}

export function packChunk(values: ReadonlyArray<Buffer | null>, hints: ReadonlyArray<LogFormat | 'auto'>): RawChunk {
  const n = values.length;
  const ends = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += values[i]?.length ?? 0;
    ends[i + 1] = total;
  }
  // its own memory (not Node's pool): the buffer is transferred to the pipeline thread whole
  const data = Buffer.allocUnsafeSlow(total);
  const hintIdx = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v) v.copy(data, ends[i]!);
    hintIdx[i] = v ? (HINT_INDEX.get(hints[i]!) ?? 0) : NO_VALUE;
  }
  return { data, ends, hints: hintIdx };
}

/** The buffers to transfer with a chunk (its own memory, not views of something larger). */
export const rawTransfer = (c: RawChunk): ArrayBuffer[] => [c.data.buffer as ArrayBuffer, c.ends.buffer as ArrayBuffer, c.hints.buffer as ArrayBuffer];
export const processedTransfer = (c: ProcessedChunk): ArrayBuffer[] =>
  [c.rows, c.rowEnds, c.events, c.formats, c.redStart, c.redPairs].map((a) => a.buffer as ArrayBuffer);

export function processChunk(processRecord: ProcessRecord, chunk: RawChunk): ProcessedChunk {
  const n = chunk.hints.length;
  const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
  const writer = new RowWriter(Math.max(64 * 1024, Math.ceil(data.length * 0.6)));
  const rowEnds = new Uint32Array(n + 1);
  const events = new Uint32Array(n);
  const formats = new Uint8Array(n).fill(NO_FORMAT);
  const redStart = new Uint32Array(n + 1);
  const pairs: number[] = [];
  const typeIndex = new Map<string, number>();
  const letters = new Map<number, DeadLetter[]>();
  for (let i = 0; i < n; i++) {
    const hint = chunk.hints[i]!;
    if (hint !== NO_VALUE) {
      const outcomes = processRecord(data.subarray(chunk.ends[i]!, chunk.ends[i + 1]!), HINTS[hint] ?? 'auto');
      for (const o of outcomes) {
        if (o.kind === 'dlq') {
          const list = letters.get(i);
          if (list) list.push(o.letter);
          else letters.set(i, [o.letter]);
          continue;
        }
        writer.write(o.event);
        events[i]!++;
        formats[i] = FORMATS.indexOf(o.format);
        for (const [type, count] of o.redactions) {
          let t = typeIndex.get(type);
          if (t === undefined) typeIndex.set(type, (t = typeIndex.size));
          pairs.push(t, count);
        }
      }
    }
    rowEnds[i + 1] = writer.offset;
    redStart[i + 1] = pairs.length / 2;
  }
  return { count: n, rows: writer.bytes(), rowEnds, events, formats, redStart, redPairs: Uint32Array.from(pairs), redTypes: [...typeIndex.keys()], letters };
}
