/** How entities read in alerts: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4. */
export function displayIp(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** SQL glob (`*login*`) → an ILIKE pattern (`%login%`), with LIKE's own wildcards escaped. */
export function globToLike(glob: string): string {
  return glob.replace(/\\/g, '\\\\').replace(/%/g, '\\%').replace(/_/g, '\\_').replace(/\*/g, '%');
}
