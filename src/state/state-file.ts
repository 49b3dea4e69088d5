import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, hmacFingerprint } from '../core/canonical.js';
import type { Inventories, WriteOnlyMemory } from '../core/model.js';

interface AppRecord {
  /** address → JSON pointer → keyed fingerprint of the write-only value last applied. */
  fingerprints: Record<string, Record<string, string>>;
  /**
   * Inventories by slot, owned by the kinds (`users`: the users stream-sync created or managed, which user pruning
   * reads). Kept at the top of the app's record, where the users slot has always been.
   */
  [slot: string]: string[] | AppRecord['fingerprints'] | undefined;
}

/** The state file's format version (`version` in the file). */
export const STATE_FILE_VERSION = 1;

interface StateFileData {
  version: typeof STATE_FILE_VERSION;
  apps: Record<string, AppRecord>;
}

/**
 * The small state file (`.stream-sync/state.json` beside the config by default): per app (API key), the keyed
 * fingerprint (HMAC-SHA256 with the app's API secret) of every write-only value stream-sync applied, so a
 * secret is written again only when it changes. It holds no secret and nothing reversible.
 */
export class StateFile implements WriteOnlyMemory, Inventories {
  private data: StateFileData;
  private dirty = false;

  private constructor(
    readonly path: string | undefined,
    private readonly apiKey: string,
    private readonly key: string,
    data: StateFileData,
  ) {
    this.data = data;
  }

  /** Reads the state file at `path` (absent: empty). `path` undefined keeps the state in memory only. */
  static open(path: string | undefined, apiKey: string, apiSecret: string): StateFile {
    let data: StateFileData = { version: STATE_FILE_VERSION, apps: {} };
    if (path) {
      try {
        const raw = JSON.parse(readFileSync(path, 'utf8')) as StateFileData;
        if (raw && raw.version === STATE_FILE_VERSION && raw.apps && typeof raw.apps === 'object') data = raw;
        else throw new Error(`${path}: not a stream-sync state file (version ${STATE_FILE_VERSION})`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the state file ${path}: ${(err as Error).message}`);
      }
    }
    return new StateFile(path, apiKey, apiSecret, data);
  }

  private get app(): AppRecord {
    return (this.data.apps[this.apiKey] ??= { fingerprints: {} });
  }

  fingerprint(address: string, path: string, value: unknown): string {
    return hmacFingerprint(this.key, [address, path, canonicalJson(value)]);
  }

  applied(address: string, path: string): string | undefined {
    return this.data.apps[this.apiKey]?.fingerprints[address]?.[path];
  }

  recordedPaths(address: string): string[] {
    return Object.keys(this.data.apps[this.apiKey]?.fingerprints[address] ?? {});
  }

  record(address: string, path: string, value: unknown): void {
    (this.app.fingerprints[address] ??= {})[path] = this.fingerprint(address, path, value);
    this.dirty = true;
  }

  forget(address: string): void {
    if (this.app.fingerprints[address]) {
      delete this.app.fingerprints[address];
      this.dirty = true;
    }
  }

  /** The addresses with a fingerprint recorded at `path`. */
  recordedAt(path: string): string[] {
    const prints = this.data.apps[this.apiKey]?.fingerprints ?? {};
    return Object.keys(prints).filter((address) => prints[address]?.[path] !== undefined);
  }

  inventory(slot: string): string[] {
    const ids = this.data.apps[this.apiKey]?.[slot];
    return Array.isArray(ids) ? [...ids] : [];
  }

  setInventory(slot: string, ids: Iterable<string>): void {
    if (slot === 'fingerprints') throw new Error('"fingerprints" is not an inventory slot');
    this.app[slot] = [...new Set(ids)].sort();
    this.dirty = true;
  }

  /** Writes the file atomically (temp file + rename), only when something changed. */
  save(): void {
    if (!this.path || !this.dirty) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.dirty = false;
  }
}
