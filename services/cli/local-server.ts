/**
 * chDB allows one process per data directory. When `gatewatch start` holds the embedded store
 * it leaves server.json (its pid and URL) in the data directory; data commands then go
 * through that server, authenticated with the local CLI key kept beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_KEY_FILE, SERVER_FILE } from '../api/api-role.js';

export interface LocalServer {
  url: string;
  key: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function findLocalServer(dataDir: string): LocalServer | undefined {
  const file = join(dataDir, SERVER_FILE);
  if (!existsSync(file)) return undefined;
  let info: { pid?: number; url?: string };
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number; url?: string };
  } catch {
    return undefined;
  }
  if (!info.pid || !info.url || !alive(info.pid)) return undefined;
  const keyFile = join(dataDir, CLI_KEY_FILE);
  if (!existsSync(keyFile)) throw new Error(`a server (pid ${info.pid}) holds ${dataDir} but ${keyFile} is missing; restart the server to recreate it`);
  return { url: info.url, key: readFileSync(keyFile, 'utf8').trim() };
}

export async function callServer(server: LocalServer, path: string, init: { method: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<Response> {
  return fetch(server.url + path, {
    method: init.method,
    headers: { authorization: `Bearer ${server.key}`, ...(init.headers ?? {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}
