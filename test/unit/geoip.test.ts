import { beforeAll, describe, expect, it } from 'vitest';
import { ipv6High64, openGeoLookup, type GeoLookup } from '../../services/ingest/enrichment/geoip.js';

// the real offline databases shipped as npm packages (GeoLite2 City, ip-location-db ASN)
let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeoLookup({ geoip: true, asn: true, cacheSize: 100 });
});

describe('GeoIP and ASN enrichment', () => {
  it.each([
    ['8.8.8.8', { country: 'US', asn: 15169, as_org: 'Google LLC' }],
    ['81.2.69.160', { country: 'GB', city: 'Bracknell', asn: 20712 }],
    ['2a03:2880:f12f:83:face:b00c::25de', { country: 'US', asn: 32934 }],
    ['1.1.1.1', { asn: 13335, as_org: 'Cloudflare, Inc.' }],
  ])('%s', (ip, expected) => {
    const g = geo.lookup(ip);
    expect(g).toMatchObject(expected);
    if (g.country) {
      expect(typeof g.lat).toBe('number');
      expect(typeof g.lon).toBe('number');
    }
  });

  it.each(['127.0.0.1', '10.1.2.3', '::1', '', 'not-an-ip', '999.1.1.1'])('knows nothing about %j', (ip) => {
    expect(geo.lookup(ip)).toEqual({ country: '', city: '', lat: null, lon: null, asn: 0, as_org: '' });
  });

  it('answers repeated lookups from the cache with the same result', () => {
    expect(geo.lookup('8.8.8.8')).toBe(geo.lookup('8.8.8.8'));
  });

  it('splits IPv6 addresses into their top 64 bits', () => {
    expect(ipv6High64('2001:db8::1')).toEqual([0x20010db8, 0]);
    expect(ipv6High64('2001:db8:1:2:3:4:5:6')).toEqual([0x20010db8, 0x00010002]);
    expect(ipv6High64('::ffff:1.2.3.4')).toEqual([0, 0]);
    expect(ipv6High64('2001:zzzz::1')).toBeUndefined();
    expect(ipv6High64('1:2:3')).toBeUndefined();
  });
});
