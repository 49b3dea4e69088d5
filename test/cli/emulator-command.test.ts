import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamClient } from '@stream-io/node-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';

describe('stream-sync emulator', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('prints its base URL, API key and secret, serves the official SDK, and exits 0 on SIGTERM', async () => {
    const p = spawnCli(['emulator', '--port', '0', '--log-level', 'silent']);
    const [, url] = await p.waitFor(/^base url: (http:\/\/127\.0\.0\.1:\d+)$/m);
    const [, key] = await p.waitFor(/^api key: (\S+)$/m);
    const [, secret] = await p.waitFor(/^api secret: ([0-9a-f]{48})$/m);
    const client = new StreamClient(key!, secret!, { basePath: url });
    await expect(client.getTask({ id: 'none' })).rejects.toMatchObject({ code: 16 });
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('takes the secret from STREAM_EMULATOR_API_SECRET and the key from --api-key', async () => {
    const p = spawnCli(['emulator', '--port', '0', '--api-key', 'my-key', '--log-level', 'silent'], { STREAM_EMULATOR_API_SECRET: 's3cr3t-value' });
    await p.waitFor(/^api secret: s3cr3t-value$/m);
    expect(p.stdout()).toMatch(/^api key: my-key$/m);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('saves its state with --data on exit and loads it on the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-data-'));
    dirs.push(dir);
    const data = join(dir, 'state.json');
    const first = spawnCli(['emulator', '--port', '0', '--data', data, '--log-level', 'silent']);
    const [, secret] = await first.waitFor(/^api secret: (\S+)$/m);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const saved = JSON.parse(await readFile(data, 'utf8')) as { apps: { key: string }[] };
    expect(saved.apps.map((a) => a.key)).toEqual(['emulator']);
    const second = spawnCli(['emulator', '--port', '0', '--data', data, '--log-level', 'silent']);
    await second.waitFor(/^api secret: (\S+)$/m);
    expect(second.stdout()).toContain(`api secret: ${secret}`);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('uses --api-key for the app it creates on a first run with --data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-data-'));
    dirs.push(dir);
    const p = spawnCli(['emulator', '--port', '0', '--data', join(dir, 'new.json'), '--api-key', 'my-key', '--log-level', 'silent']);
    await p.waitFor(/^api secret: /m);
    expect(p.stdout()).toMatch(/^api key: my-key$/m);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('with a --data file that exists, --api-key names the app it serves first: a saved one with its secret, or a new one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-data-'));
    dirs.push(dir);
    const data = join(dir, 'state.json');
    const run = async (args: string[]) => {
      const p = spawnCli(['emulator', '--port', '0', '--data', data, '--log-level', 'silent', ...args]);
      const [, key] = await p.waitFor(/^api key: (\S+)$/m);
      const [, secret] = await p.waitFor(/^api secret: (\S+)$/m);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      return { key, secret };
    };
    const first = await run(['--api-key', 'first']);
    const second = await run(['--api-key', 'second']);
    expect(second.key).toBe('second');
    expect(second.secret).not.toBe(first.secret);
    // Both are kept; each comes back with its own secret, and without --api-key the first saved one.
    expect(await run(['--api-key', 'first'])).toEqual(first);
    expect(await run(['--api-key', 'second'])).toEqual(second);
    expect(await run([])).toEqual(first);
  });

  it('logs one line per request at debug level, without the token', async () => {
    const p = spawnCli(['emulator', '--port', '0', '--log-level', 'debug', '--log-format', 'json']);
    const [, url] = await p.waitFor(/^base url: (\S+)$/m);
    const [, secret] = await p.waitFor(/^api secret: (\S+)$/m);
    const client = new StreamClient('emulator', secret!, { basePath: url });
    await client.getTask({ id: 'none' }).catch(() => undefined);
    const line = await p.waitFor(/^\{.*"op":"GetTask".*\}$/m);
    expect(JSON.parse(line[0])).toMatchObject({ method: 'GET', path: '/api/v2/tasks/none', op: 'GetTask', status: 404, level: 'debug' });
    p.child.kill('SIGTERM');
    await p.exit;
    expect(p.stdout().split('\n').filter((l) => l.startsWith('{')).join('\n')).not.toContain(secret!);
    expect(p.stdout()).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it.each([
    [['emulator', '--port', 'abc'], /--port must be a whole number/],
    [['emulator', '--rate-limits', 'sometimes'], /Allowed choices are published, off/],
    [['emulator', '--fault-rate', '2'], /--fault-rate must be a number from 0 to 1/],
  ])('refuses bad flags %j with exit 1 and a clear message', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('prints help and version with exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('emulator');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
