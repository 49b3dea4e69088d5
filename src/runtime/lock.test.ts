import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LockHolder, makeDirectories, StateLock } from './lock.js';
import { StoppedError } from '../core/errors.js';

const stateFile = () => join(mkdtempSync(join(tmpdir(), 'lock-')), '.stream-sync', 'state.json');
const hostA = { pid: 101, hostname: 'pod-a', pid_ns: 'pid:[1]' };
const hostB = { pid: 202, hostname: 'pod-b', pid_ns: 'pid:[2]' };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function foreignLock(path: string, holder: Partial<LockHolder>, ageMs = 0) {
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: 999, hostname: 'elsewhere', token: 't', acquired_at: new Date().toISOString(), ...holder }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(`${path}.lock`, t, t);
}

describe('StateLock', () => {
  it('makes the second process wait until the first releases, and names the holder', async () => {
    const file = stateFile();
    const events: string[] = [];
    const release = await new StateLock(file, { self: hostA, retryMs: 20 }).acquire();
    events.push('a acquired');
    let waitedFor: LockHolder | undefined;
    const second = new StateLock(file, { self: hostB, retryMs: 20 })
      .acquire({ onWait: (h) => (waitedFor = h) })
      .then((releaseB) => {
        events.push('b acquired');
        return releaseB;
      });
    await expect.poll(() => waitedFor?.hostname).toBe('pod-a');
    expect(waitedFor).toMatchObject({ pid: 101, hostname: 'pod-a' });
    events.push('a releases');
    release();
    (await second)();
    expect(events).toEqual(['a acquired', 'a releases', 'b acquired']);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('breaks a lock left by a dead process of the same host and PID namespace', async () => {
    const file = stateFile();
    await new StateLock(file, { self: hostA }).acquire().then((r) => r()); // creates the directory
    foreignLock(file, { pid: 4242, hostname: 'pod-a', pid_ns: 'pid:[1]' });
    const release = await new StateLock(file, { self: hostA, isAlive: (pid) => pid !== 4242 }).acquire();
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: 101, hostname: 'pod-a' });
    release();
  });

  it('does not judge a live holder by its pid across PID namespaces (containers of one pod share a hostname)', async () => {
    const file = stateFile();
    const releaseA = await new StateLock(file, { self: { ...hostA, pid_ns: 'pid:[7]' } }).acquire();
    const ac = new AbortController();
    let waited = false;
    const b = new StateLock(file, { self: { ...hostA, pid: 55, pid_ns: 'pid:[8]' }, isAlive: () => false, retryMs: 20 }).acquire({ signal: ac.signal, onWait: () => (waited = true) });
    await expect.poll(() => waited).toBe(true);
    ac.abort();
    await expect(b).rejects.toThrow(StoppedError);
    releaseA();
  });

  it('breaks a lock not refreshed for staleMs (a holder on another node that died), and keeps a fresh one', async () => {
    const file = stateFile();
    await new StateLock(file, { self: hostA }).acquire().then((r) => r());
    foreignLock(file, {}, 60_000);
    const release = await new StateLock(file, { self: hostA, staleMs: 30_000 }).acquire();
    release();

    foreignLock(file, {}, 0);
    const ac = new AbortController();
    let waitedFor: LockHolder | undefined;
    const attempt = new StateLock(file, { self: hostA, staleMs: 30_000, retryMs: 20 }).acquire({ signal: ac.signal, onWait: (h) => (waitedFor = h) });
    await expect.poll(() => waitedFor?.hostname).toBe('elsewhere');
    ac.abort();
    await expect(attempt).rejects.toThrow(StoppedError);
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ hostname: 'elsewhere' });
  });

  it('keeps its lock fresh while held, so a waiter on another host never breaks it', async () => {
    const file = stateFile();
    const staleMs = 300;
    const releaseA = await new StateLock(file, { self: hostA, staleMs }).acquire();
    let bAcquired = false;
    const b = new StateLock(file, { self: hostB, staleMs, retryMs: 20 }).acquire().then((r) => {
      bAcquired = true;
      return r;
    });
    await pause(staleMs * 4);
    expect(bAcquired).toBe(false);
    releaseA();
    (await b)();
  });

  it('does not delete, on release, a lock that was taken over after it went stale', async () => {
    const file = stateFile();
    const releaseA = await new StateLock(file, { self: hostA }).acquire();
    foreignLock(file, { hostname: 'pod-c', token: 'theirs' });
    releaseA();
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ token: 'theirs' });
  });
});

describe('makeDirectories', () => {
  it('creates missing levels, and is a no-op for an existing directory', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mkdirs-')), 'a', 'b');
    makeDirectories(dir);
    makeDirectories(dir);
    expect(existsSync(dir)).toBe(true);
  });

  // Node's recursive mkdir never returns here (it blocks the event loop for good, so this would hang).
  it.runIf(existsSync('/proc/self'))('throws ENOENT for a directory the kernel cannot create (under /proc), and so does acquire', async () => {
    expect(() => makeDirectories('/proc/stream-sync/state')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await expect(new StateLock('/proc/stream-sync/state.json').acquire()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
