/**
 * What POST /v1/ingest accepts, alone: content types, encodings (with the decoded-size cap),
 * and a body's records cut from JSON arrays and lines.
 */
import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { checkContentType, decodeBody, splitBody, splitJsonArray, TooDeepError } from '../../services/api/ingest-body.js';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? (err as Error).name;
  }
  return 'ok';
};
const statusOf = async (p: Promise<unknown>) => p.then(() => 'ok', (err: { statusCode?: number }) => err.statusCode);

describe('content types', () => {
  it('takes NDJSON, JSON and text, and refuses the rest with 415', () => {
    for (const t of ['application/x-ndjson', 'application/json; charset=utf-8', 'TEXT/PLAIN', 'application/jsonl', undefined, '']) expect(status(() => checkContentType(t))).toBe('ok');
    for (const t of ['application/xml', 'multipart/form-data; boundary=x', 'image/png', 'application/x-www-form-urlencoded', 'application/octet-stream']) expect(status(() => checkContentType(t))).toBe(415);
  });
});

describe('encodings', () => {
  const text = Buffer.from('{"a":1}\n'.repeat(1000));
  it('decodes gzip, deflate (zlib and raw) and br, and passes identity through', async () => {
    expect(await decodeBody(zlib.gzipSync(text), 'gzip', 1 << 20)).toEqual(text);
    expect(await decodeBody(zlib.gzipSync(text), 'x-gzip', 1 << 20)).toEqual(text);
    expect(await decodeBody(zlib.deflateSync(text), 'deflate', 1 << 20)).toEqual(text);
    expect(await decodeBody(zlib.deflateRawSync(text), 'deflate', 1 << 20)).toEqual(text);
    expect(await decodeBody(zlib.brotliCompressSync(text), 'br', 1 << 20)).toEqual(text);
    expect(await decodeBody(text, 'identity', 10)).toBe(text);
    expect(await decodeBody(text, undefined, 10)).toBe(text);
  });

  it('stops a bomb at the cap (413), and says what is wrong with broken or unknown encodings', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KB
    expect(bomb.length).toBeLessThan(100_000);
    expect(await statusOf(decodeBody(bomb, 'gzip', 8 << 20))).toBe(413);
    expect(await statusOf(decodeBody(zlib.brotliCompressSync(Buffer.alloc(16 << 20)), 'br', 1 << 20))).toBe(413);
    expect(await statusOf(decodeBody(zlib.deflateSync(Buffer.alloc(16 << 20)), 'deflate', 1 << 20))).toBe(413);
    expect(await statusOf(decodeBody(Buffer.from('not gzip at all'), 'gzip', 1 << 20))).toBe(400);
    expect(await statusOf(decodeBody(text, 'compress', 1 << 20))).toBe(415);
    expect(await statusOf(decodeBody(text, 'gzip, br', 1 << 20))).toBe(415);
  });
});

describe("a body's records", () => {
  it('cuts a JSON array into its elements as written, strings as text lines', () => {
    const body = '[ {"a": [1, {"b": "x,]}"}]},\n "127.0.0.1 - - \\"GET / HTTP/1.1\\" 200",\t{"c":"\\"q\\\\"} ]';
    expect(splitJsonArray(body, 64)).toEqual(['{"a": [1, {"b": "x,]}"}]}', '127.0.0.1 - - "GET / HTTP/1.1" 200', '{"c":"\\"q\\\\"}']);
    expect(splitJsonArray('[]', 64)).toEqual([]);
    expect(splitJsonArray('[1, null, "x"]', 64)).toEqual(['1', 'null', 'x']);
  });

  it('refuses a broken array with 400, and one nested deeper than the bound as too deep', () => {
    for (const bad of ['[1,,2]', '[,1]', '[1,]', '[1', '["abc]', '[1]]', '[1] x', '[1}']) expect(status(() => splitJsonArray(bad, 64)), bad).toBe(400);
    expect(status(() => splitJsonArray(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64))).toBe('Error');
    expect(() => splitJsonArray(`[${'{"a":'.repeat(65)}1${'}'.repeat(65)}]`, 64)).toThrow(TooDeepError);
    expect(splitJsonArray(`[${'{"a":'.repeat(62)}1${'}'.repeat(62)}]`, 64)).toHaveLength(1);
  });

  it('reads NDJSON and text as lines (CRLF, blank lines), and a body starting with [ as an array', () => {
    expect(splitBody(Buffer.from('a\r\n\r\n  \nb\n')).map(String)).toEqual(['a', 'b']);
    expect(splitBody(Buffer.from('\n [{"x":1}]\n'))).toEqual(['{"x":1}']);
  });
});
