// chdb lists a native package per platform as optionalDependencies; only the linux-x64 one is
// published for chdb 3.4.0, so `npm install` leaves the others out of package-lock.json and
// `npm ci` then refuses the lock as out of sync. This puts platform-guarded entries back
// (npm ci skips them on a non-matching platform). Run after any `npm install`: npm run lock:platforms
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
const platforms = {
  '@chdb/lib-darwin-arm64': { cpu: ['arm64'], os: ['darwin'] },
  '@chdb/lib-darwin-x64': { cpu: ['x64'], os: ['darwin'] },
  '@chdb/lib-linux-arm64-gnu': { cpu: ['arm64'], os: ['linux'], libc: ['glibc'] },
  '@chdb/lib-linux-x64-gnu': { cpu: ['x64'], os: ['linux'], libc: ['glibc'] },
};
const packages = {};
for (const [key, value] of Object.entries(lock.packages)) {
  packages[key] = value;
  if (key === 'node_modules/chdb') {
    for (const [name, guard] of Object.entries(platforms)) {
      const k = `node_modules/${name}`;
      packages[k] = lock.packages[k] ?? { version: chdb.optionalDependencies[name], ...guard, license: 'Apache-2.0', optional: true };
    }
  }
}
lock.packages = packages;
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log('package-lock.json: chdb platform packages present');
