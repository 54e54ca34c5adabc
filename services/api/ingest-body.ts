/**
 * What `POST /v1/ingest` accepts, checked before a record is looked at: the content types that
 * carry log records (NDJSON, JSON, plain text lines; anything else is 415), the encodings
 * shippers compress with (gzip, deflate, br; decompressed under a cap, so a small bomb cannot
 * take the process), and a body's records: one per line, or the elements of a JSON array, cut
 * from the text as they are (never parsed whole and written out again) and refused as a whole
 * when nested deeper than a bound or holding more records than a request may.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { HttpError } from './auth.js';

/** Media types of log records: NDJSON under its several names, JSON, text lines. */
export const INGEST_MEDIA_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines', 'application/x-jsonlines', 'application/json', 'application/x-json-stream', 'text/plain'] as const;

/** The Content-Type must be one of INGEST_MEDIA_TYPES; a body without one is read as lines. */
export function checkContentType(header: string | undefined): void {
  if (header === undefined || header.trim() === '') return;
  const type = header.split(';')[0]!.trim().toLowerCase();
  if ((INGEST_MEDIA_TYPES as readonly string[]).includes(type)) return;
  throw new HttpError(415, `Content-Type ${JSON.stringify(type.slice(0, 80))} is not one of ${INGEST_MEDIA_TYPES.join(', ')}: send NDJSON (one record a line) or a JSON array`, 'unsupported_media_type');
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

/** The body as sent, decoded per Content-Encoding (gzip, x-gzip, deflate, br, identity), at most `maxBytes` once decoded. */
export async function decodeBody(body: Buffer, encodingHeader: string | undefined, maxBytes: number): Promise<Buffer> {
  const encodings = (encodingHeader ?? '').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e && e !== 'identity');
  if (encodings.length > 1) throw new HttpError(415, `Content-Encoding ${JSON.stringify(encodingHeader)}: one encoding at most`, 'unsupported_encoding');
  const encoding = encodings[0];
  if (encoding === undefined) return body;
  const opts = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return await gunzip(body, opts);
    if (encoding === 'br') return await brotli(body, opts);
    if (encoding === 'deflate') {
      // HTTP's deflate is zlib-wrapped; some clients send the raw stream
      return await inflate(body, opts).catch((err: NodeJS.ErrnoException) => (err.code === 'ERR_BUFFER_TOO_LARGE' ? Promise.reject(err) : inflateRaw(body, opts)));
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new HttpError(413, `the body decompresses to more than ${maxBytes} bytes (ingest.maxDecodedBytes): send smaller requests`, 'body_too_large');
    throw new HttpError(400, `the body is not valid ${encoding} data: ${e.message}`, 'invalid_encoding');
  }
  throw new HttpError(415, `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: use gzip, deflate or br`, 'unsupported_encoding');
}

/** A body holding more records than a request may: refused whole (one dead letter says so). */
export class TooManyRecordsError extends Error {
  constructor(readonly maxRecords: number) {
    super(`the request holds more than ${maxRecords} records`);
  }
}

/** A JSON array nested deeper than the bound: refused as a whole (one dead letter says so). */
export class TooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`the body nests JSON deeper than ${maxDepth} levels`);
  }
}

/**
 * The elements of a JSON array, each as its own text (a string element is the string itself:
 * a text log line), cut at the array's top-level commas by one pass that tracks strings and
 * depth. Elements are not checked here (each is a record, refused on its own if broken); the
 * array's own shape is: unbalanced brackets, an unterminated string or text after the closing
 * bracket are a 400, more than `maxDepth` levels a TooDeepError.
 */
export function splitJsonArray(text: string, maxDepth: number, maxRecords = Infinity): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let commas = 0;
  /** the bracket open at each depth */
  const open: number[] = [];
  const push = (to: number) => {
    const raw = text.slice(start, to).trim();
    if (!raw) {
      // `[]` is an empty array; `[,1]`, `[1,,2]` and `[1,]` are not JSON
      if (commas > 0) throw new HttpError(400, 'the body is a JSON array with an empty element', 'invalid_body');
      return;
    }
    out.push(raw.startsWith('"') ? parseString(raw) : raw);
    if (out.length > maxRecords) throw new TooManyRecordsError(maxRecords);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > maxDepth) throw new TooDeepError(maxDepth);
      open[depth] = c;
      if (depth === 1) {
        if (c !== 0x5b) throw new HttpError(400, 'the body is not a JSON array', 'invalid_body');
        start = i + 1;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (depth === 0 || open[depth] !== (c === 0x5d ? 0x5b : 0x7b)) throw new HttpError(400, 'the body is not a JSON array: a bracket closes that was never opened', 'invalid_body');
      depth--;
      if (depth === 0) {
        push(i);
        if (text.slice(i + 1).trim()) throw new HttpError(400, 'the body has text after its JSON array', 'invalid_body');
        return out;
      }
    } else if (c === 0x2c /* , */ && depth === 1) {
      commas++;
      push(i);
      start = i + 1;
    }
  }
  throw new HttpError(400, inString ? 'the body is not a JSON array: a string never ends' : 'the body is not a JSON array: it never closes', 'invalid_body');
}

function parseString(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch (err) {
    throw new HttpError(400, `the body's JSON array holds a broken string: ${err instanceof Error ? err.message : ''}`, 'invalid_body');
  }
}

/** NDJSON or text: one record per line, blank lines ignored; lines stay bytes (invalid UTF-8 is reported per record). */
export function splitLines(body: Buffer, maxRecords = Infinity): Buffer[] {
  const out: Buffer[] = [];
  let lineStart = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      let end = i;
      if (end > lineStart && body[end - 1] === 0x0d) end--;
      const line = body.subarray(lineStart, end);
      if (line.some((b) => b !== 0x20 && b !== 0x09)) {
        out.push(line);
        // (counted while cutting: a small compressed body must not become millions of views first)
        if (out.length > maxRecords) throw new TooManyRecordsError(maxRecords);
      }
      lineStart = i + 1;
    }
  }
  return out;
}

/** A body's records: a JSON array's elements, or its lines. */
export function splitBody(body: Buffer, opts: { maxDepth: number; maxRecords?: number } = { maxDepth: 64 }): Array<string | Buffer> {
  let start = 0;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x0a || body[start] === 0x0d || body[start] === 0x09)) start++;
  if (body[start] === 0x5b /* [ */) return splitJsonArray(body.toString('utf8'), opts.maxDepth, opts.maxRecords);
  return splitLines(body, opts.maxRecords);
}
