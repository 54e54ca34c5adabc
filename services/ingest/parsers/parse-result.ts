import type { ParsedRecord } from '../../../schemas/event-schema.js';
import type { LogFormat } from '../../../schemas/config-schema.js';

/** Why a record was refused; the reason is a stable code (a metric label), detail is for people. */
export type RejectReason =
  | 'too_large'
  | 'too_deep'
  | 'more_rejected'
  | 'not_utf8'
  | 'empty'
  | 'invalid_json'
  | 'unknown_format'
  | 'missing_field'
  | 'invalid_field'
  | 'timestamp_out_of_range';

export type ParseOutcome =
  | { ok: true; record: ParsedRecord; format: LogFormat }
  | { ok: false; reason: RejectReason; detail: string; format?: LogFormat };

export function rejected(reason: RejectReason, detail: string, format?: LogFormat): ParseOutcome {
  return format ? { ok: false, reason, detail, format } : { ok: false, reason, detail };
}

/** Thrown inside a parser for a bad field; the dispatcher turns it into an outcome. */
export class FieldError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
