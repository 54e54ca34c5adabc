/** Typed errors: a name to match on and whether trying again can help. */
export class GatewatchError extends Error {
  readonly retriable: boolean;
  constructor(name: string, message: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = name;
    this.retriable = opts.retriable ?? false;
  }
}

/** A configuration problem found at start-up; the message names the key. */
export class ConfigError extends GatewatchError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('ConfigError', `invalid configuration at ${key}: ${message}`);
    this.key = key;
  }
}

/** The store (ClickHouse) could not take a write; the caller holds the data and retries. */
export class StoreUnavailableError extends GatewatchError {
  constructor(message: string, cause?: unknown) {
    super('StoreUnavailableError', message, { retriable: true, cause });
  }
}

/** Work that runs in one process at a time (a lease holder's) was asked of a process that stands by. */
export class StandbyError extends GatewatchError {
  constructor(message: string) {
    super('StandbyError', message, { retriable: true });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
