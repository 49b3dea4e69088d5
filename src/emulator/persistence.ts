import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { deserializeApp, serializeApp } from './apps.js';
import type { AppState, Rec } from './store.js';

/** What `--data FILE` holds: the apps, and the id generator's state so ids never repeat across restarts. */
export interface SavedState {
  apps: Map<string, AppState>;
  idState?: number;
}

export async function loadDataFile(file: string | undefined): Promise<SavedState> {
  const apps = new Map<string, AppState>();
  if (!file || !existsSync(file)) return { apps };
  const raw = JSON.parse(await readFile(file, 'utf8')) as { apps?: Rec[]; idState?: unknown };
  for (const a of raw.apps ?? []) apps.set(String(a.key), deserializeApp(a));
  return typeof raw.idState === 'number' ? { apps, idState: raw.idState } : { apps };
}

/** Writes a temporary file first, so a crash mid-write never leaves a truncated state file. */
export async function saveDataFile(file: string, apps: Iterable<AppState>, idState: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ apps: [...apps].map(serializeApp), idState }), { mode: 0o600 });
  await rename(tmp, file);
}
