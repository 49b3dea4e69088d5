import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../support/cli.js';

/**
 * `--rate-share` / `policy.rate_share` and `--deadline`, as a user meets them: CreateRole allows 600 a minute here, so
 * at the default share (50 %) stream-sync creates 10 roles a second, at 10 % 2 a second. 20 roles then take 2 s or
 * 10 s; a 5 s deadline tells which share the run had. Counts and outcomes, never timings.
 */
const ROLES = 20;
const roles = Array.from({ length: ROLES }, (_, i) => `  - name: role-${String(i).padStart(2, '0')}`).join('\n');
const file = (policy = '') => `version: 1\nroles:\n${roles}\n${policy}`;

describe('the rate share and the deadline of a command', () => {
  let emu: RunningEmulator;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'budget-cli-'));
    emu = await startEmulator({ port: 0, rateLimits: { perMinute: { CreateRole: 600 } } });
  });
  afterAll(async () => {
    await emu.close();
  });
  const env = () => ({ STREAM_API_KEY: emu.apiKey, STREAM_API_SECRET: emu.apiSecret, STREAM_BASE_URL: emu.url });
  const roleCount = () => [...emu.app().roles.values()].filter((r) => r.custom).length;
  async function apply(yaml: string, ...flags: string[]) {
    await runCli(['apply', '-f', write('empty.yaml', 'version: 1\nroles: []\npolicy:\n  prune: [roles]\n'), '--state-file', join(dir, 'state.json'), '--allow-deletes', '100'], env());
    expect(roleCount()).toBe(0);
    return runCli(['apply', '-f', write('roles.yaml', yaml), '--state-file', join(dir, 'state.json'), ...flags], env());
  }
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('at a 10 % share an apply that needs 10 s stops at a 5 s deadline: what landed is said and recorded, the rest is not applied, exit 1', async () => {
    const r = await apply(file(), '--rate-share', '10', '--deadline', '5s');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apply did not finish within its deadline (5s, --deadline): finishing the requests in flight; no new request starts');
    const created = roleCount();
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThan(ROLES);
    expect(r.stdout).toContain(`Apply interrupted: ${created} created, 0 updated, 0 deleted.`);
    expect(r.stdout).toMatch(new RegExp(`not applied: ${ROLES - created} changes interrupted before they finished`));
    // No request was refused: stream-sync kept to its share.
    expect(emu.requests.filter((q) => q.status === 429)).toEqual([]);
  });

  it('takes policy.rate_share from the file, and --rate-share over it', async () => {
    const slow = await apply(file('policy:\n  rate_share: 10\n'), '--deadline', '5s');
    expect(slow.code).toBe(1);
    expect(roleCount()).toBeLessThan(ROLES);
    const fast = await apply(file('policy:\n  rate_share: 10\n'), '--deadline', '5s', '--rate-share', '50');
    expect(fast.code, fast.stderr).toBe(0);
    expect(roleCount()).toBe(ROLES);
  });

  it('refuses a share outside 1–100, in the flag and in the file (file:line:col)', async () => {
    const flag = await runCli(['plan', '-f', write('ok.yaml', file()), '--rate-share', '0'], env());
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('--rate-share must be a whole number from 1 to 100.');
    const bad = write('bad.yaml', file('policy:\n  rate_share: 150\n'));
    const inFile = await runCli(['validate', '-f', bad], env());
    expect(inFile.code).toBe(1);
    // The path as the CLI shows it (relative to the working directory when shorter).
    expect(inFile.stderr).toMatch(/bad\.yaml:\d+:\d+: policy\.rate_share: /);
  });

  it('a plan against an API that never answers gives up at its deadline with one error, exit 1', async () => {
    const hung = await startEmulator({ port: 0, faults: { rules: [{ kind: 'slow', ms: 60_000 }] } });
    try {
      const r = await runCli(['plan', '-f', write('hung.yaml', file()), '--deadline', '2s'], { STREAM_API_KEY: hung.apiKey, STREAM_API_SECRET: hung.apiSecret, STREAM_BASE_URL: hung.url });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^plan did not finish within its deadline \(2s, --deadline\): stopping\nerror: plan did not finish within its deadline \(2s, --deadline\): /);
      // The request in flight was abandoned, not waited for (the client's timeout is 10 s, the answer 60 s away).
      expect(hung.requests).toEqual([]);
    } finally {
      await hung.close();
    }
  });
});
