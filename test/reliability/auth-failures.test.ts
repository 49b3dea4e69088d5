import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../support/cli.js';

/**
 * Auth failures are terminal: retrying cannot fix a wrong key or a wrong secret. Each CLI run must
 * stop at the first refusal with one error that says what to fix, and send exactly one request (no retry storm,
 * no fan-out of reads that are all bound to fail the same way).
 */
const KEY = 'auth-app';
const SECRET = 'auth-app-secret';
const TEN_MINUTES = 10 * 60_000;
// SQS settings give `check` something to check (CheckSQS).
const FILE = `version: 1
app:
  settings:
    webhook_url: https://hooks.acme.example/x
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/stream
    sqs_key: AKIAEXAMPLE
    sqs_secret: example-sqs-secret
roles:
  - name: agent
blocklists:
  - name: banned
    words: [scam]
`;

interface AuthCase {
  name: string;
  key?: string;
  secret?: string;
  /** What the one error line must say. */
  message: RegExp;
  /** The part that says what to fix, in every command's output. */
  hint: RegExp;
}

const CASES: AuthCase[] = [
  { name: 'a wrong secret', secret: 'not-the-secret', message: /HTTP 401 \(Stream code 43\).*signature is not valid/, hint: /check STREAM_API_SECRET/ },
  { name: 'an unknown API key', key: 'no-such-key', message: /HTTP 401 \(Stream code 2\)/, hint: /check STREAM_API_KEY/ },
];

describe('auth failures: one clear error, no retry storm', () => {
  let file: string;
  beforeAll(() => {
    file = join(mkdtempSync(join(tmpdir(), 'auth-')), 'stream.yaml');
    writeFileSync(file, FILE);
  });

  describe.each(CASES)('$name', ({ key, secret, message, hint }) => {
    let emu: RunningEmulator;
    beforeAll(async () => {
      emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [{ key: KEY, secret: SECRET, name: KEY }] });
    });
    afterAll(async () => {
      await emu.close();
    });
    const env = () => ({ STREAM_API_KEY: key ?? KEY, STREAM_API_SECRET: secret ?? SECRET, STREAM_BASE_URL: emu.url });

    it.each([['plan'], ['apply']])('%s sends exactly one request and prints one error that says what to fix', async (command) => {
      const from = emu.requests.length;
      const r = await runCli([command, '-f', file, '--state-file', join(tmpdir(), `auth-${Date.now()}.json`)], env());
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toMatch(hint);
      expect(r.stderr).not.toContain(SECRET);
      const seen = emu.requests.slice(from);
      expect(seen.map((q) => q.status)).toEqual([401]);
    });

    it('export and check never send a request twice', async () => {
      for (const args of [['export'], ['check', '-f', file]]) {
        const from = emu.requests.length;
        const r = await runCli(args, env());
        expect(r.code, args[0]).toBe(1);
        // `check` reports each check on stdout (a refused one as a failure); export's error goes to stderr.
        expect(r.stdout + r.stderr, args[0]).toMatch(hint);
        const seen = emu.requests.slice(from);
        expect(seen.length, args[0]).toBeGreaterThan(0);
        expect(seen.every((q) => q.status === 401), args[0]).toBe(true);
        const ops = seen.map((q) => q.op);
        expect(new Set(ops).size, `${args[0]} sent ${ops.join(', ')}`).toBe(ops.length);
      }
    });
  });
});

/**
 * A clock far off Stream's is not an auth failure: the first answer's Date says by how much, and stream-sync signs
 * by Stream's clock from then on. (Before, every token was refused: expired, or not valid yet.)
 */
describe("a machine clock 10 minutes off Stream's", () => {
  let file: string;
  beforeAll(() => {
    file = join(mkdtempSync(join(tmpdir(), 'auth-')), 'stream.yaml');
    writeFileSync(file, FILE);
  });

  describe.each([
    ["Stream's clock 10 minutes ahead (tokens would be expired)", TEN_MINUTES],
    ["Stream's clock 10 minutes behind (tokens would not be valid yet)", -TEN_MINUTES],
  ])('%s', (_name, skewMs) => {
    let emu: RunningEmulator;
    beforeAll(async () => {
      emu = await startEmulator({ port: 0, rateLimits: 'off', now: () => Date.now() + skewMs, apps: [{ key: KEY, secret: SECRET, name: KEY }] });
    });
    afterAll(async () => {
      await emu.close();
    });
    const env = () => ({ STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url });

    it.each([['apply'], ['plan']])('%s succeeds, re-sending only its first request, once', async (command) => {
      const from = emu.requests.length;
      const r = await runCli([command, '-f', file, '--state-file', join(tmpdir(), `auth-skew-${Date.now()}.json`)], env());
      expect(r.code, r.stderr).toBe(0);
      const seen = emu.requests.slice(from);
      expect(seen.filter((q) => q.status === 401).map((q) => q.op)).toEqual(['GetRateLimits']);
      expect(seen[1]).toMatchObject({ op: 'GetRateLimits', status: 200 });
      expect(seen.length).toBeGreaterThan(2);
    });
  });
});
