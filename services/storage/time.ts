/**
 * Time across the storage boundary, written once. Callers hold epoch milliseconds or ISO-8601
 * strings; ClickHouse's `DateTime64(3, 'UTC')` columns take and give text `YYYY-MM-DD hh:mm:ss.sss`
 * (always UTC here). `DateTime64(6)` columns (claims) take microseconds.
 */

/** epoch ms → `DateTime64(3)` text */
export const msToCh = (ms: number): string => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** any ISO-8601 time (with or without milliseconds, `Z` or an offset) → `DateTime64(3)` text */
export const isoToCh = (iso: string): string => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${JSON.stringify(iso.slice(0, 40))}`);
  return msToCh(ms);
};

/** `DateTime64` text from ClickHouse (UTC, any precision) → epoch ms */
export const chToMs = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);

/** epoch µs → `DateTime64(6)` text */
export const microsToCh = (us: number): string => `${msToCh(Math.floor(us / 1000)).slice(0, 19)}.${String(Math.floor(us) % 1_000_000).padStart(6, '0')}`;

/** `DateTime64` text from ClickHouse (UTC) → ISO-8601 with milliseconds */
export const chToIso = (text: string): string => new Date(chToMs(text)).toISOString();
