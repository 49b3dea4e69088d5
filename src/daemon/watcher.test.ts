import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigWatcher, watchConfig } from './watcher.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Longer than the debounce plus a poll period: a change would have been reported by then. */
const QUIET = 600;

const open: ConfigWatcher[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});

async function watching(path: string | string[], poll: boolean) {
  const seen = { changes: 0 };
  open.push(await watchConfig({ paths: typeof path === 'string' ? [path] : path, poll, pollIntervalMs: 100, debounceMs: 100, onChange: () => seen.changes++ }));
  return seen;
}

/** A ConfigMap volume as the kubelet lays it out: `stream.yaml -> ..data/stream.yaml`, `..data -> ..<timestamp>`. */
function configMapDir(content: string) {
  const dir = mkdtempSync(join(tmpdir(), 'configmap-'));
  mkdirSync(join(dir, '..2025_01_01_00_00_00.1'));
  writeFileSync(join(dir, '..2025_01_01_00_00_00.1/stream.yaml'), content);
  symlinkSync('..2025_01_01_00_00_00.1', join(dir, '..data'));
  symlinkSync('..data/stream.yaml', join(dir, 'stream.yaml'));
  let version = 1;
  return {
    file: join(dir, 'stream.yaml'),
    /** The kubelet's atomic update: a new timestamped directory, `..data_tmp` renamed over `..data`, the old one removed. */
    swap(next: string) {
      const old = `..2025_01_01_00_00_00.${version}`;
      const fresh = `..2025_01_01_00_00_00.${++version}`;
      mkdirSync(join(dir, fresh));
      writeFileSync(join(dir, fresh, 'stream.yaml'), next);
      symlinkSync(fresh, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, old), { recursive: true });
    },
  };
}

describe.each([
  ['filesystem events', false],
  ['--poll', true],
])('watchConfig with %s', (_name, poll) => {
  it('reports an edit in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, 'version: 1\n');
    const seen = await watching(file, poll);
    writeFileSync(file, 'version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
  });

  it("reports an editor's atomic save (a temp file renamed over the original)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, 'version: 1\n');
    const seen = await watching(file, poll);
    writeFileSync(join(dir, '.stream.yaml.swp'), 'version: 1\nroles: []\n');
    renameSync(join(dir, '.stream.yaml.swp'), file);
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
  });

  it('reports a file deleted and recreated, once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, 'version: 1\n');
    const seen = await watching(file, poll);
    unlinkSync(file);
    writeFileSync(file, 'version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  });

  it("reports a Kubernetes ConfigMap update (the `..data` symlink swap), where the file's own link never changes", async () => {
    const cm = configMapDir('version: 1\n');
    const seen = await watching(cm.file, poll);
    cm.swap('version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
    cm.swap('version: 1\nroles: [{name: a}]\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(2);
  });

  it('ignores events that leave the content as it was (a touch, a swap to the same content, other files)', async () => {
    const cm = configMapDir('version: 1\n');
    const seen = await watching(cm.file, poll);
    utimesSync(cm.file, new Date(), new Date(Date.now() + 5000));
    cm.swap('version: 1\n');
    writeFileSync(join(cm.file, '../notes.txt'), 'not a config file');
    await pause(QUIET);
    expect(seen.changes).toBe(0);
    // The watcher is alive: a real change after the no-ops is reported, once.
    cm.swap('version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
  });

  it('settles a burst of 20 saves into one change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, 'version: 1\n');
    const seen = await watching(file, poll);
    for (let i = 0; i < 20; i++) writeFileSync(file, `version: 1\n# edit ${i}\n`);
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
    await pause(QUIET);
    expect(seen.changes).toBe(1);
  });

  it('watches every desired-state file of a directory given as -f', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    writeFileSync(join(dir, 'a.yaml'), 'version: 1\n');
    const seen = await watching(dir, poll);
    writeFileSync(join(dir, 'b.yml'), 'version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
  });

  it('watches every layer, each in its own directory (a base directory and an overlay file elsewhere)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'watch-base-'));
    writeFileSync(join(base, 'a.yaml'), 'version: 1\n');
    const overlays = mkdtempSync(join(tmpdir(), 'watch-overlay-'));
    const overlay = join(overlays, 'prod.yaml');
    writeFileSync(overlay, 'version: 1\n');
    const seen = await watching([base, overlay], poll);
    writeFileSync(overlay, 'version: 1\nroles: []\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(1);
    writeFileSync(join(base, 'a.yaml'), 'version: 1\nroles: [{name: a}]\n');
    await expect.poll(() => seen.changes, { timeout: 10_000 }).toBe(2);
  });
});
