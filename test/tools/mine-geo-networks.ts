/**
 * Mines the bundled GeoLite2 City and ASN databases for the simulator's networks
 * (services/demo/geo-networks.ts): per country, /24 prefixes of real access providers that
 * GeoIP places in different cities, prefixes it places only at country level (as it does for
 * many mobile carriers), and prefixes of hosting providers (cloud, VPN exits). Run again when
 * the databases are upgraded:  npx tsx test/tools/mine-geo-networks.ts > services/demo/geo-networks.ts
 */
import { openGeoLookup } from '../../services/ingest/enrichment/geoip.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const COUNTRIES = ['GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'SE', 'PL', 'US', 'CA', 'BR', 'IN', 'JP', 'AU', 'SG', 'ZA', 'MX', 'VN', 'RU', 'NG', 'KR', 'UA'];
const HOSTING = /amazon|google|microsoft|digitalocean|ovh|hetzner|linode|akamai|vultr|choopa|m247|datacamp|leaseweb|contabo|oracle|alibaba|tencent|scaleway|cloudflare/i;
const ISP_HINT = /telecom|telekom|communications|broadband|cable|vodafone|orange|telefonica|bt |british|virgin|comcast|charter|verizon|at&t|t-mobile|telia|tele2|kpn|ziggo|free|sfr|bouygues|swisscom|rogers|bell|telus|vivo|claro|jio|airtel|ntt|kddi|softbank|telstra|optus|singtel|starhub|mtn|vodacom|telmex|viettel|rostelecom|mts|beeline|kyivstar|netia|play|plus|polska|fastweb|tim|wind|iliad|movistar|jazztel|sky|talktalk|liberty|deutsche|o2|1&1|unitymedia|cox|spectrum|frontier|centurylink|shaw|videotron|sprint|kt corp|sk broadband|lg |fpt|vnpt|globacom|airtel|mobile|wireless|cellular/i;

const require = createRequire(import.meta.url);
const asnCsv = readFileSync(join(dirname(require.resolve('@ip-location-db/asn/package.json')), 'asn-ipv4-num.csv'), 'latin1');
const geo = await openGeoLookup({ geoip: true, asn: true, cacheSize: 0 });
const ipOf = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

interface Net {
  prefix: string;
  country: string;
  city: string;
  lat: number;
  lon: number;
  asn: number;
  org: string;
}
const found = new Map<string, { city: Net[]; countryOnly: Net[]; hosting: Net[] }>();
for (const c of COUNTRIES) found.set(c, { city: [], countryOnly: [], hosting: [] });
const seenCity = new Set<string>();
const perAsn = new Map<string, number>();

let line = 0;
for (const row of asnCsv.split('\n')) {
  if (!row) continue;
  if (++line % 7 !== 0) continue; // a sample of ranges is plenty
  const m = /^(\d+),(\d+),(\d+),"?(.*?)"?$/.exec(row);
  if (!m) continue;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const org = Buffer.from(m[4]!, 'latin1').toString('utf8');
  if (end - start < 255) continue;
  const hosting = HOSTING.test(org);
  if (!hosting && !ISP_HINT.test(org)) continue;
  const ip = ipOf(((start + Math.floor((end - start) / 2)) & 0xffffff00) + 77);
  const g = geo.lookup(ip);
  const bucket = found.get(g.country);
  if (!bucket || g.lat === null || g.lon === null) continue;
  const asnKey = `${g.country}/${g.asn}/${hosting ? 'h' : g.city ? 'c' : 'n'}`;
  if ((perAsn.get(asnKey) ?? 0) >= (g.city ? 4 : 2)) continue;
  const net: Net = { prefix: ip.split('.').slice(0, 3).join('.'), country: g.country, city: g.city, lat: g.lat, lon: g.lon, asn: g.asn, org: g.as_org.slice(0, 40) };
  if (hosting) {
    if (bucket.hosting.length >= 4) continue;
    bucket.hosting.push(net);
  } else if (!g.city) {
    if (bucket.countryOnly.length >= 4) continue;
    bucket.countryOnly.push(net);
  } else {
    const key = `${g.country}/${g.city}`;
    if (seenCity.has(key) || bucket.city.length >= 10) continue;
    seenCity.add(key);
    bucket.city.push(net);
  }
  perAsn.set(asnKey, (perAsn.get(asnKey) ?? 0) + 1);
}

const out: string[] = [];
out.push('/**');
out.push(' * Networks the bundled GeoLite2 City and ASN databases place in each country: access');
out.push(' * providers located at city level, providers located only at country level (as GeoIP does');
out.push(' * for many mobile carriers), and hosting providers (cloud, VPN exits). Mined from the');
out.push(' * databases by test/tools/mine-geo-networks.ts; the simulator builds its world from them.');
out.push(' */');
out.push('export interface SimNetwork {\n  /** a /24: the simulator picks addresses inside it */\n  prefix: string;\n  country: string;\n  /** \'\' when GeoIP knows only the country */\n  city: string;\n  lat: number;\n  lon: number;\n  asn: number;\n  org: string;\n}\n');
out.push('export const GEO_NETWORKS: Record<string, { city: SimNetwork[]; countryOnly: SimNetwork[]; hosting: SimNetwork[] }> = {');
for (const [c, b] of found) {
  out.push(`  ${c}: {`);
  for (const k of ['city', 'countryOnly', 'hosting'] as const) {
    out.push(`    ${k}: [`);
    for (const n of b[k]) out.push(`      ${JSON.stringify(n).replace(/"(\w+)":/g, '$1: ').replace(/,(?=\w+: )/g, ', ').replace(/^\{/, '{ ').replace(/\}$/, ' }')},`);
    out.push('    ],');
  }
  out.push('  },');
}
out.push('};');
process.stdout.write(out.join('\n') + '\n');
for (const [c, b] of found) process.stderr.write(`${c}: ${b.city.length} cities, ${b.countryOnly.length} country-only, ${b.hosting.length} hosting\n`);
