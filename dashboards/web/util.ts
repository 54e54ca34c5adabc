/** Small shared helpers of the dashboard: navigation, time and number formatting. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export function go(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** `#/sql?q=…` → { path: '/sql', params } */
export function parseHash(hash: string): { path: string; params: URLSearchParams } {
  const h = hash.replace(/^#/, '') || '/alerts';
  const q = h.indexOf('?');
  return q < 0 ? { path: h, params: new URLSearchParams() } : { path: h.slice(0, q), params: new URLSearchParams(h.slice(q + 1)) };
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** 2026-11-28 10:04:05 UTC */
export function utc(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function num(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toLocaleString('en', { maximumFractionDigits: 0 }) : Number(v.toFixed(digits)).toString();
}

export function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
