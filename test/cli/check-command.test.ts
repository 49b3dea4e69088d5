import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { loadSpec } from '../support/spec.js';

const SQS_SECRET = 'sentinel-sqs-secret-91c2';
const S3_SECRET = 'sentinel-s3-secret-55ab';
const FCM_KEY = 'sentinel-fcm-private-key-0d1e';
const FCM = JSON.stringify({ type: 'service_account', client_email: 'push@acme.iam', private_key: FCM_KEY });
const SECRETS = [SQS_SECRET, S3_SECRET, FCM_KEY];

const FILE = (opts: { checkUser?: boolean; path?: string } = {}) => `version: 1
app:
  settings:
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/stream
    sqs_key: AKIAIOSFODNN7EXAMPLE
    sqs_secret: \${env:SQS_SECRET}
push_providers:
  - type: firebase
    name: acme-fcm
    firebase_credentials: \${env:FCM_CREDENTIALS}
    templates:
      - event_type: message.new
        template: '{"title": "{{ sender.name }}"}'
      - event_type: reaction.new
        template: '{"title": "{{ sender.name }} reacted"}'
      - event_type: message.updated
        enable_push: false
external_storages:
  - name: recordings
    storage_type: s3
    bucket: acme-recordings
    path: ${opts.path ?? 'calls/'}
    aws_s3:
      s3_region: us-east-1
      s3_api_key: AKIAIOSFODNN7EXAMPLE
      s3_secret: \${env:S3_SECRET}
importer_external_storage:
  type: aws_s3
  aws_s3: { bucket: acme-imports, region: eu-west-1, role_arn: "arn:aws:iam::123456789012:role/stream-import" }
${opts.checkUser === false ? '' : 'policy:\n  check_user_id: support-bot\n'}`;

describe('stream-sync check and apply --verify', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const opsSince = (from: number) => emu.requests.slice(from).map((r) => r.op);
  const expectNoSecret = (r: { stdout: string; stderr: string }) => {
    for (const s of SECRETS) {
      expect(r.stdout).not.toContain(s);
      expect(r.stderr).not.toContain(s);
    }
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [{ key: 'check-key', secret: 'check-secret-value', name: 'check-app' }] });
    dir = mkdtempSync(join(tmpdir(), 'check-'));
    env = { STREAM_API_KEY: 'check-key', STREAM_API_SECRET: 'check-secret-value', STREAM_BASE_URL: emu.url, SQS_SECRET, S3_SECRET, FCM_CREDENTIALS: FCM };
    const api = new TestApi(emu, loadSpec());
    expect((await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'support-bot': { id: 'support-bot', name: 'Support Bot' } } } })).status).toBe(201);
    const applied = await runCli(['apply', '-f', write('stream.yaml', FILE()), '--state-file', join(dir, 'state.json')], env);
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => {
    emu.app('check-key').checkOutcomes.clear();
    emu.faults.clear();
  });

  it('runs one check per declared target, prints one line each and exits 0 when all pass', async () => {
    const from = emu.requests.length;
    const r = await runCli(['check', '-f', write('stream.yaml', FILE())], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'PASS CheckSQS app',
      'PASS CheckExternalStorage external_storage/recordings',
      'PASS ValidateImporterExternalStorage importer_external_storage',
      'PASS CheckPush push_provider/firebase/acme-fcm (message.new)',
      'PASS CheckPush push_provider/firebase/acme-fcm (reaction.new)',
      'Checks: 5 passed, 0 failed, 0 skipped.',
    ]);
    expectNoSecret(r);
    // Checks only: nothing is planned or written.
    expect(opsSince(from).sort()).toEqual(['CheckExternalStorage', 'CheckPush', 'CheckPush', 'CheckSQS', 'ValidateImporterExternalStorage']);
  });

  it('CheckPush renders for policy.check_user_id (the user must exist), without depending on the user\'s devices', async () => {
    // support-bot has no device: the pass above is CheckPush with skip_devices. Another user fails as the API says.
    const r = await runCli(['check', '-f', write('other.yaml', FILE().replace('check_user_id: support-bot', 'check_user_id: nobody-here'))], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL CheckPush push_provider\/firebase\/acme-fcm \(message\.new\): user nobody-here does not exist$/m);
  });

  it('a failing check is a FAIL line with its reason, exit 1; a secret the reason repeats is never shown', async () => {
    const outcomes = emu.app('check-key').checkOutcomes;
    outcomes.set('push/firebase/acme-fcm', { ok: false, message: `Firebase rejected the credentials for key ${FCM_KEY}` });
    outcomes.set('sqs', { ok: false, message: `AccessDenied for secret ${SQS_SECRET}` });
    const r = await runCli(['check', '-f', write('stream.yaml', FILE())], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL CheckSQS app: AccessDenied for secret (sensitive value)');
    expect(r.stdout).toContain('FAIL CheckPush push_provider/firebase/acme-fcm (message.new): Firebase rejected the credentials for key (sensitive value)');
    expect(r.stdout).toContain('PASS CheckExternalStorage external_storage/recordings');
    expect(r.stdout).toMatch(/Checks: 2 passed, 3 failed, 0 skipped\./);
    expectNoSecret(r);
  });

  it('an error answer is a FAIL with the API\'s reason (a storage that fails its check)', async () => {
    emu.app('check-key').checkOutcomes.set('external_storage/recordings', { ok: false, message: 'bucket acme-recordings: access denied' });
    const r = await runCli(['check', '-f', write('stream.yaml', FILE())], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL CheckExternalStorage external_storage\/recordings: .*bucket acme-recordings: access denied$/m);
  });

  it('without policy.check_user_id, CheckPush is skipped with a line that says why; a skip is not a failure', async () => {
    const from = emu.requests.length;
    const r = await runCli(['check', '-f', write('nouser.yaml', FILE({ checkUser: false }))], env);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('SKIP CheckPush push_provider/firebase/acme-fcm: policy.check_user_id is not set (the user CheckPush renders templates for)');
    expect(r.stdout).toContain('Checks: 3 passed, 0 failed, 1 skipped.');
    expect(opsSince(from)).not.toContain('CheckPush');
  });

  it('--target restricts the checks to those addresses; a file with nothing to check says so', async () => {
    const r = await runCli(['check', '-f', write('stream.yaml', FILE()), '--target', 'external_storage/*'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['PASS CheckExternalStorage external_storage/recordings', 'Checks: 1 passed, 0 failed, 0 skipped.']);
    const none = await runCli(['check', '-f', write('roles.yaml', 'version: 1\nroles:\n  - name: support-agent\n')], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^No live check applies to what the file declares/);
  });

  it('an invalid file is exit 1 before any request', async () => {
    const from = emu.requests.length;
    const r = await runCli(['check', '-f', write('bad.yaml', 'version: 1\npolicy:\n  check_user_id: 7\n')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:3:18: policy\.check_user_id: /);
    expect(emu.requests.length).toBe(from);
  });

  it('apply --verify runs only the checks touching what changed, and none when nothing changed', async () => {
    const state = join(dir, 'state.json');
    const from = emu.requests.length;
    const r = await runCli(['apply', '-f', write('stream.yaml', FILE({ path: 'passing-verify/' })), '--state-file', state, '--verify'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Apply complete: 0 created, 1 updated, 0 deleted.');
    expect(r.stdout).toContain('PASS CheckExternalStorage external_storage/recordings\nVerify: 1 passed, 0 failed, 0 skipped.');
    expect(opsSince(from).filter((op) => op.startsWith('Check') || op.startsWith('Validate'))).toEqual(['CheckExternalStorage']);
    expectNoSecret(r);

    const unchanged = await runCli(['apply', '-f', write('stream.yaml', FILE({ path: 'passing-verify/' })), '--state-file', state, '--verify'], env);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).not.toMatch(/Verify|PASS|FAIL/);
  });

  it('apply --verify exits 1 when a check of what changed fails (the apply itself succeeded)', async () => {
    emu.app('check-key').checkOutcomes.set('external_storage/recordings', { ok: false, message: 'access denied' });
    // A path no other test applies: this apply always has its change.
    const r = await runCli(['apply', '-f', write('stream.yaml', FILE({ path: 'failing-verify/' })), '--state-file', join(dir, 'state.json'), '--verify'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Apply complete: 0 created, 1 updated, 0 deleted.');
    expect(r.stdout).toMatch(/FAIL CheckExternalStorage external_storage\/recordings: .*access denied\nVerify: 0 passed, 1 failed, 0 skipped\./);
  });

  it('plan and apply start with one GetRateLimits; when it fails, the run goes on with the published limits', async () => {
    const from = emu.requests.length;
    const ok = await runCli(['plan', '-f', write('stream.yaml', FILE())], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(opsSince(from)[0]).toBe('GetRateLimits');
    expect(opsSince(from).filter((op) => op === 'GetRateLimits')).toHaveLength(1);

    emu.faults.configure({ rules: [{ op: 'GetRateLimits', kind: 'error', status: 503 }] });
    const again = emu.requests.length;
    const failed = await runCli(['plan', '-f', write('stream.yaml', FILE())], env);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toMatch(/^Plan: \d+ to create, \d+ to update, 0 to delete\.$/m);
    // A single attempt: a best-effort read never delays the run with back-offs.
    expect(emu.requests.slice(again).filter((r) => r.op === 'GetRateLimits').map((r) => r.status)).toEqual([503]);
  });
});
