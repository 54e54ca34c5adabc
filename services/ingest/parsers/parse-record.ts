/**
 * Turns one raw log record (bytes from Kafka, a line of a file, an element of an HTTP body)
 * into parsed records, or a reason why not. Never throws: a bad record is an outcome, so
 * one record cannot stop the batch it came in. Format is detected per record unless a hint
 * pins it (per topic, per request).
 */
import type { LogFormat } from '../../../schemas/config-schema.js';
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, isObject, rejected, type JsonObject, type ParseOutcome } from './parse-result.js';
import { looksLikeNginxCombined, parseNginxCombined } from './nginx-combined-parser.js';
import { looksLikeNginxJson, makeNginxJsonParser } from './nginx-json-parser.js';
import { looksLikeKong, parseKong } from './kong-parser.js';
import { looksLikeEnvoyJson, looksLikeEnvoyText, parseEnvoyJson, parseEnvoyText } from './envoy-parser.js';
import { looksLikeTraefik, parseTraefik } from './traefik-parser.js';
import { looksLikeAwsApiGateway, parseAwsApiGateway } from './aws-apigw-parser.js';
import { looksLikeAzureApim, parseAzureApim } from './azure-apim-parser.js';
import { makeGenericJsonParser } from './generic-json-parser.js';

export interface ParserOptions {
  maxRecordBytes: number;
  nginxJsonFields?: Record<string, string>;
  genericFields?: Record<string, string>;
}

type JsonFormat = Exclude<LogFormat, 'nginx-combined' | 'envoy-text'>;
type TextFormat = Extract<LogFormat, 'nginx-combined' | 'envoy-text'>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createRecordParser(opts: ParserOptions) {
  const nginxJson = makeNginxJsonParser(opts.nginxJsonFields);
  const generic = makeGenericJsonParser(opts.genericFields);

  const jsonParsers: Record<JsonFormat, (o: JsonObject) => ParsedRecord> = {
    'azure-apim': parseAzureApim,
    kong: parseKong,
    'aws-apigw': parseAwsApiGateway,
    traefik: parseTraefik,
    'envoy-json': parseEnvoyJson,
    'nginx-json': nginxJson,
    'generic-json': generic.parse,
  };
  const textParsers: Record<TextFormat, (line: string) => ParsedRecord> = {
    'nginx-combined': parseNginxCombined,
    'envoy-text': parseEnvoyText,
  };

  function detectJson(o: JsonObject): JsonFormat | undefined {
    if (looksLikeAzureApim(o)) return 'azure-apim';
    if (looksLikeKong(o)) return 'kong';
    if (looksLikeAwsApiGateway(o)) return 'aws-apigw';
    if (looksLikeTraefik(o)) return 'traefik';
    if (looksLikeEnvoyJson(o)) return 'envoy-json';
    if (looksLikeNginxJson(o)) return 'nginx-json';
    if (generic.matches(o)) return 'generic-json';
    return undefined;
  }

  function detectText(line: string): TextFormat | undefined {
    if (looksLikeEnvoyText(line)) return 'envoy-text';
    if (looksLikeNginxCombined(line)) return 'nginx-combined';
    return undefined;
  }

  function run<T>(format: LogFormat, fn: (input: T) => ParsedRecord, input: T): ParseOutcome {
    try {
      return { ok: true, record: fn(input), format };
    } catch (err) {
      if (err instanceof FieldError) return rejected(err.reason, err.message, format);
      return rejected('invalid_field', `parser failed: ${err instanceof Error ? err.message : String(err)}`, format);
    }
  }

  function parseObject(o: JsonObject, hint: LogFormat | 'auto'): ParseOutcome {
    const format = hint === 'auto' ? detectJson(o) : hint;
    if (!format) return rejected('unknown_format', `JSON record with keys ${Object.keys(o).slice(0, 12).join(', ')} matches no known format`);
    if (format === 'nginx-combined' || format === 'envoy-text') {
      return rejected('unknown_format', `format ${format} is a text format but the record is JSON`, format);
    }
    return run(format, jsonParsers[format], o);
  }

  /** One raw record → one outcome per log entry it holds (Azure wraps many in `records`). */
  return function parseRecord(raw: Buffer | string, hint: LogFormat | 'auto' = 'auto'): ParseOutcome[] {
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    if (size > opts.maxRecordBytes) return [rejected('too_large', `record is ${size} bytes, limit is ${opts.maxRecordBytes}`)];
    let text: string;
    if (typeof raw === 'string') text = raw;
    else {
      try {
        text = utf8.decode(raw);
      } catch {
        return [rejected('not_utf8', 'record is not valid UTF-8')];
      }
    }
    text = text.trim();
    if (!text) return [rejected('empty', 'record is empty')];

    if (text.startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return [rejected('invalid_json', err instanceof Error ? err.message : 'invalid JSON')];
      }
      if (!isObject(value)) return [rejected('invalid_json', 'record is not a JSON object')];
      if (Array.isArray(value.records)) {
        if (value.records.length === 0) return [rejected('empty', 'records array is empty')];
        return value.records.map((r) => (isObject(r) ? parseObject(r, hint) : rejected('invalid_json', 'element of records is not an object')));
      }
      return [parseObject(value, hint)];
    }
    if (text.includes('\n')) return [rejected('invalid_field', 'a text record must be a single line')];
    const format = hint === 'auto' ? detectText(text) : hint;
    if (!format) return [rejected('unknown_format', 'text line matches neither NGINX combined nor Envoy default format')];
    if (format !== 'nginx-combined' && format !== 'envoy-text') {
      return [rejected('invalid_json', `format ${format} expects a JSON record`, format)];
    }
    return [run(format, textParsers[format], text)];
  };
}

export type RecordParser = ReturnType<typeof createRecordParser>;
