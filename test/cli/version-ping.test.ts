import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { StateFile } from '../../src/state/state-file.js';
import { formats } from '../../src/cli/ping.js';
import { runCli } from '../support/cli.js';

const KEY = 'ping-key';
const SECRET = 'ping-secret-0123456789abcdef';
/** The STREAM_* variables of this machine must not reach the CLI: every test says what it connects to. */
const NO_CONNECTION = { STREAM_API_KEY: '', STREAM_API_SECRET: '', STREAM_API_SECRET_FILE: '', STREAM_BASE_URL: '' };

/** A port nothing listens on: one the system just handed out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const SERVER_KEYS = ['ok', 'base_url', 'api_key', 'app', 'round_trip_ms', 'clock_skew_ms', 'rate_limit', 'error'];

describe('stream-sync ping and version against an emulator', () => {
  let emu: RunningEmulator;
  let ahead: RunningEmulator;
  let unreachable: string;
  let dir: string;
  const env = (over: NodeJS.ProcessEnv = {}) => ({ ...NO_CONNECTION, STREAM_BASE_URL: emu.url, STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, ...over });
  const noSecret = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stderr).not.toContain(SECRET);
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, apps: [{ key: KEY, secret: SECRET, name: 'Acme chat' }] });
    // Stream's clock 90 s ahead of this machine's.
    ahead = await startEmulator({ port: 0, apps: [{ key: KEY, secret: SECRET, name: 'Acme chat' }], now: () => Date.now() + 90_000 });
    unreachable = `http://127.0.0.1:${await closedPort()}`;
    dir = mkdtempSync(join(tmpdir(), 'stream-sync-ping-'));
  });
  afterAll(async () => {
    await emu?.close();
    await ahead?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ping: the app, base URL, API key, round trip and clock skew, exit 0; the secret is never printed', async () => {
    const r = await runCli(['ping'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok: Stream answered GetApp for app "Acme chat"');
    expect(r.stdout).toMatch(new RegExp(`base url: +${emu.url}\n`));
    expect(r.stdout).toMatch(/api key: +ping-key\n/);
    expect(r.stdout).toMatch(/round trip: +\d+ ms\n/);
    expect(r.stdout).toMatch(/clock skew: +0 s/);
    expect(r.stdout).toMatch(/rate limit: +GetApp \d+ of \d+ left in this window/);
    noSecret(r);
    expect(emu.requests.filter((q) => q.op === 'GetApp').length).toBeGreaterThanOrEqual(1);
  });

  it('ping --json: one object with every documented field', async () => {
    const r = await runCli(['ping', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['stream_sync', ...SERVER_KEYS]);
    expect(out).toMatchObject({ ok: true, stream_sync: expect.stringMatching(/^\d+\.\d+\.\d+/), base_url: emu.url, api_key: KEY, app: 'Acme chat', clock_skew_ms: 0, error: null });
    expect(out.round_trip_ms).toEqual(expect.any(Number));
    expect(out.rate_limit).toMatchObject({ limit: expect.any(Number), remaining: expect.any(Number), reset: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    noSecret(r);
  });

  it("ping reports Stream's clock 90 s ahead as a skew of about +90 s (and still succeeds)", async () => {
    const r = await runCli(['ping', '--json'], env({ STREAM_BASE_URL: ahead.url }));
    expect(r.code, r.stderr).toBe(0);
    const skew = (JSON.parse(r.stdout) as { clock_skew_ms: number }).clock_skew_ms;
    expect(skew).toBeGreaterThan(87_000);
    expect(skew).toBeLessThan(93_000);
    const text = await runCli(['ping'], env({ STREAM_BASE_URL: ahead.url }));
    expect(text.stdout).toMatch(/clock skew: +\+(8[89]|9[0-2])\.\d s \(Stream's clock is ahead of this machine's/);
  });

  it('ping with a wrong secret: exit 1, says Stream refused the credentials with its code, prints neither secret', async () => {
    const wrong = 'wrong-secret-fedcba9876543210';
    const r = await runCli(['ping'], env({ STREAM_API_SECRET: wrong }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ping failed: Stream refused the credentials: GetApp: HTTP 401 \(Stream code \d+\)/);
    expect(r.stderr).toMatch(/api key: +ping-key/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    noSecret(r);
    const json = await runCli(['ping', '--json'], env({ STREAM_API_SECRET: wrong }));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, app: null, error: expect.stringMatching(/refused the credentials/) });
    expect(json.stdout).not.toContain(wrong);
  });

  it("ping masks the secret even when the server's refusal quotes it", async () => {
    const echo = createHttpServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', date: new Date().toUTCString() });
      res.end(JSON.stringify({ code: 43, message: `GetApp failed with error: "no app has the secret ${SECRET}"`, StatusCode: 401 }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
      for (const args of [['ping'], ['ping', '--json'], ['version']]) {
        const r = await runCli(args, env({ STREAM_BASE_URL: url }));
        expect(r.code, args.join(' ')).toBe(1);
        expect(`${r.stdout}${r.stderr}`).toContain('no app has the secret (sensitive value)');
        noSecret(r);
      }
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('ping an unreachable URL: exit 1, says which URL could not be reached', async () => {
    const r = await runCli(['ping'], env({ STREAM_BASE_URL: unreachable }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach ${unreachable}`);
    noSecret(r);
  });

  it('ping without a connection: exit 1, says what to set', async () => {
    const r = await runCli(['ping'], NO_CONNECTION);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/STREAM_API_KEY is not set/);
  });

  it("ping --env: the environment's base URL and credentials, not the process's", async () => {
    const file = join(dir, 'environments.yaml');
    writeFileSync(file, `version: 1\nenvironments:\n  prod:\n    files: [stream.yaml]\n    base_url: ${emu.url}\n    api_key: ${KEY}\n    api_secret: \${env:PROD_API_SECRET}\n`);
    const r = await runCli(['ping', '--env', 'prod', '--environments', file, '--json'], { ...NO_CONNECTION, STREAM_API_KEY: 'not-this-one', PROD_API_SECRET: SECRET });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, api_key: KEY, base_url: emu.url });
    noSecret(r);
  });

  it('version --json without a connection: the client only (version, node, platform, formats), exit 0', async () => {
    const r = await runCli(['version', '--json'], NO_CONNECTION);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['stream_sync', 'node', 'platform', 'arch', 'formats', 'server']);
    expect(out).toMatchObject({ node: process.version, platform: process.platform, arch: process.arch, formats: { desired_state: 1, plan: '1', state_file: 1 }, server: null });
    const text = await runCli(['version'], NO_CONNECTION);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^stream-sync \d+\.\d+\.\d+\n/);
    expect(text.stdout).toContain('server: no connection configured');
  });

  it('version with a connection configured shows the server as ping does; --client does not contact it', async () => {
    const r = await runCli(['version', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const server = (JSON.parse(r.stdout) as { server: Record<string, unknown> }).server;
    expect(Object.keys(server)).toEqual(SERVER_KEYS);
    expect(server).toMatchObject({ ok: true, app: 'Acme chat', api_key: KEY });
    const text = await runCli(['version'], env());
    expect(text.stdout).toMatch(/\nserver:\n {2}base url: /);
    noSecret(text);
    const before = emu.requests.length;
    const client = await runCli(['version', '--client', '--json'], env());
    expect(client.code).toBe(0);
    expect(JSON.parse(client.stdout)).toMatchObject({ server: null });
    expect(emu.requests.length).toBe(before);
  });

  it('version with the server unreachable: the client part, then the error, exit 1', async () => {
    const r = await runCli(['version'], env({ STREAM_BASE_URL: unreachable }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^stream-sync \d+\.\d+\.\d+\n {2}node: /);
    expect(r.stdout).toContain('server: unreachable or refused');
    expect(r.stdout).toContain(`cannot reach ${unreachable}`);
    noSecret(r);
  });

  it('version reports the state file version the state file writes', () => {
    const path = join(dir, 'state.json');
    const state = StateFile.open(path, KEY, SECRET);
    state.record('role/x', '/secret', 'v');
    state.save();
    expect((JSON.parse(readFileSync(path, 'utf8')) as { version: unknown }).version).toBe(formats().state_file);
  });
});
