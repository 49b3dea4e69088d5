import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { ROOT, runCli } from '../support/cli.js';

/** What a user sees in the first hour: export's file, JSON logs, check before apply, an unreachable API. */
describe('first-hour output', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [{ key: 'first-key', secret: 'first-secret-value', name: 'first-app' }] });
    dir = mkdtempSync(join(tmpdir(), 'first-hour-'));
    env = { STREAM_API_KEY: 'first-key', STREAM_API_SECRET: 'first-secret-value', STREAM_BASE_URL: emu.url };
    const applied = await runCli(['apply', '-f', write('stream.yaml', 'version: 1\napp:\n  settings:\n    enforce_unique_usernames: "no"\nroles:\n  - name: "yes"\n'), '--state-file', join(dir, 'state.json')], env);
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await emu.close();
  });

  describe('export', () => {
    it('quotes strings a YAML 1.1 reader would take for booleans, and they round-trip', async () => {
      const out = join(dir, 'exported', 'deep', 'stream.yaml');
      mkdirSync(dirname(out), { recursive: true });
      const r = await runCli(['export', '-o', out, '--kinds', 'app,roles'], env);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toMatch(/^ {4}enforce_unique_usernames: "no"$/m);
      expect(text).toMatch(/^ {2}- name: "yes"$/m);
      expect(text).not.toMatch(/: (no|yes|on|off|No|ON)$/m);
      // YAML 1.1 (PyYAML, older tools) reads the quoted values as strings too.
      const as11 = parse(text, { version: '1.1' }) as { app: { settings: Record<string, unknown> }; roles: { name: unknown }[] };
      expect(as11.app.settings.enforce_unique_usernames).toBe('no');
      expect(as11.roles.find((role) => role.name === 'yes')).toBeDefined();
      const plan = await runCli(['plan', '-f', out, '--format', 'json', '--state-file', join(dir, 'export-state.json')], env);
      expect(plan.code, plan.stderr).toBe(0);
      expect((JSON.parse(plan.stdout) as { changes: unknown[] }).changes).toEqual([]);
    });

    it('links the schema by a path relative to the written file, which resolves from its directory', async () => {
      const out = join(dir, 'exported', 'deep', 'linked.yaml');
      const r = await runCli(['export', '-o', out, '--kinds', 'roles'], env);
      expect(r.code, r.stderr).toBe(0);
      const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(out, 'utf8'))![1]!;
      expect(ref).toMatch(/^\.\.?\//);
      expect(resolve(dirname(out), ref)).toBe(join(ROOT, 'schema/stream-sync.schema.json'));
    });

    it('on stdout, where the file will go is unknown: links the schema by its absolute file URL', async () => {
      const r = await runCli(['export', '--kinds', 'roles'], env);
      expect(r.code, r.stderr).toBe(0);
      const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(r.stdout)![1]!;
      expect(ref.startsWith('file://')).toBe(true);
      expect(existsSync(fileURLToPath(ref))).toBe(true);
    });
  });

  it('JSON log lines carry the level by name, an ISO time and the version', async () => {
    const r = await runCli(['plan', '-f', join(dir, 'stream.yaml'), '--log-level', 'debug', '--log-format', 'json', '--state-file', join(dir, 'state.json')], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const line of lines) {
      expect(line.level).toBeTypeOf('string');
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(line.version).toBe(version);
    }
    expect(lines.some((l) => l.level === 'debug')).toBe(true);
  });

  it('check skips an object the app does not have yet (run apply first), and exits 0', async () => {
    const file = write('new-storage.yaml', 'version: 1\nexternal_storages:\n  - name: not-yet\n    storage_type: s3\n    bucket: acme-later\n    aws_s3:\n      s3_region: us-east-1\n');
    const r = await runCli(['check', '-f', file], env);
    expect(r.stdout).toContain('SKIP CheckExternalStorage external_storage/not-yet: not created yet: run apply first');
    expect(r.stdout).toContain('Checks: 0 passed, 0 failed, 1 skipped.');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('an unreachable API names the URL, the attempts and what to check', async () => {
    const r = await runCli(['plan', '-f', join(dir, 'stream.yaml'), '--state-file', join(dir, 'state.json')], { ...env, STREAM_BASE_URL: 'http://127.0.0.1:1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1 after \d+ attempts: the connection was refused; check STREAM_BASE_URL/);
    expect(r.stderr).toContain('(ECONNREFUSED)');
  }, 60_000);
});
