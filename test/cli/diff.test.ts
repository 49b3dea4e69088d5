import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiff, type DiffFlags } from '../../src/commands/diff.js';
import type { Output } from '../../src/commands/output.js';
import { loadDesired } from '../../src/desired/load.js';
import { loadEnvironments } from '../../src/desired/environments.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { connectionOf } from '../../src/runtime/connection.js';
import { applyPlan, planFor } from '../../src/runtime/engine.js';
import { createLogger } from '../../src/runtime/logger.js';
import { openSession, type Session } from '../../src/runtime/session.js';
import { isWrite } from '../support/emulator.js';

/**
 * `diff --env staging --env prod` against one emulator serving both apps: the command's function is called with
 * two sessions opened from an environments file, as the CLI opens them, and talks to the emulator over HTTP.
 */

const SECRETS = {
  STAGING_SQS: 'staging-sqs-sentinel-4e1b',
  PROD_SQS: 'prod-sqs-sentinel-9c2d',
  STAGING_FCM: '{"type":"service_account","private_key":"staging-fcm-sentinel-77aa"}',
  PROD_FCM: '{"type":"service_account","private_key":"prod-fcm-sentinel-31bf"}',
  STAGING_MI: 'staging-xiaomi-sentinel-0d0d',
};
const APPS = {
  staging: { key: 'staging-key', secret: 'staging-api-secret-value', name: 'acme-staging' },
  prod: { key: 'prod-key', secret: 'prod-api-secret-value', name: 'acme-prod' },
};

const STAGING = `version: 1
app:
  settings:
    webhook_url: https://hooks.acme.example/staging
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/events
    sqs_key: AKIASHAREDEXAMPLE
    sqs_secret: \${env:STAGING_SQS}
roles:
  - name: support-agent
  - name: moderator-lite
blocklists:
  - name: banned-words
    words: [scam, spoiler, phishing]
push_providers:
  - type: firebase
    name: fcm
    description: the app's FCM
    firebase_credentials: \${env:STAGING_FCM}
  - type: xiaomi
    name: mi
    xiaomi_package_name: com.acme.app
    xiaomi_app_secret: \${env:STAGING_MI}
`;

// The same provider and SQS queue with other secrets, another webhook, one word fewer, a role staging lacks.
const PROD = `version: 1
app:
  settings:
    webhook_url: https://hooks.acme.example/prod
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/events
    sqs_key: AKIASHAREDEXAMPLE
    sqs_secret: \${env:PROD_SQS}
roles:
  - name: support-agent
  - name: legacy-admin
blocklists:
  - name: banned-words
    words: [scam, spoiler]
push_providers:
  - type: firebase
    name: fcm
    description: the app's FCM
    firebase_credentials: \${env:PROD_FCM}
`;

const environments = (baseUrl: string) => `version: 1
environments:
  staging:
    files: [staging.yaml]
    base_url: ${baseUrl}
    api_key: ${APPS.staging.key}
    api_secret: \${env:STAGING_API_SECRET}
  prod:
    files: [prod.yaml]
    base_url: ${baseUrl}
    api_key: ${APPS.prod.key}
    api_secret: \${env:PROD_API_SECRET}
`;

interface Captured extends Output {
  out: string[];
  err: string[];
}
const capture = (): Captured => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), color: false };
};

describe('stream-sync diff --env staging --env prod', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const sessions: Session[] = [];
  const writes = () => emu.requests.filter(isWrite).length;
  const logger = createLogger({ level: 'silent', format: 'json' });

  const open = async (name: 'staging' | 'prod'): Promise<Session> => {
    const [environment] = loadEnvironments(join(dir, 'environments.yaml'), { env }).select([name]);
    const session = await openSession({
      configPath: environment!.files[0]!,
      connection: connectionOf(environment!),
      stateFile: environment!.stateFile,
      concurrency: 4,
      emulator: false,
      env,
      logger,
      startEmulator: () => Promise.reject(new Error('not used')),
    });
    sessions.push(session);
    return session;
  };

  /** Applies a desired-state file to an environment's app, as `apply` does. */
  const seed = async (name: 'staging' | 'prod', file: string) => {
    const session = await open(name);
    const desired = loadDesired(join(dir, file), { env });
    const { plan } = await planFor(session.deps, desired);
    const applied = await applyPlan(session.deps, plan, desired);
    expect(applied.result.failed).toEqual([]);
  };

  const diff = async (flags: Partial<DiffFlags> = {}) => {
    const [staging, prod] = [await open('staging'), await open('prod')];
    const out = capture();
    const code = await runDiff({ format: 'text', names: { source: 'staging', target: 'prod' }, ...flags }, staging, prod, out);
    return { code, stdout: out.out.join(''), stderr: out.err.join('') };
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [APPS.staging, APPS.prod] });
    dir = mkdtempSync(join(tmpdir(), 'diff-'));
    env = { ...SECRETS, STAGING_API_SECRET: APPS.staging.secret, PROD_API_SECRET: APPS.prod.secret };
    writeFileSync(join(dir, 'environments.yaml'), environments(emu.url));
    writeFileSync(join(dir, 'staging.yaml'), STAGING);
    writeFileSync(join(dir, 'prod.yaml'), PROD);
    await seed('staging', 'staging.yaml');
    await seed('prod', 'prod.yaml');
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await emu?.close();
  });

  it('shows what prod lacks as creates and updates, what matches not at all, and writes to neither app', async () => {
    const before = writes();
    const stateFiles = () => ['staging', 'prod'].map((name) => statSync(join(dir, '.stream-sync', `${name}.json`)).mtimeMs);
    const statesBefore = stateFiles();
    const r = await diff({ detailedExitcode: true });
    expect(writes()).toBe(before);
    expect(stateFiles()).toEqual(statesBefore);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Promotion: staging \(api key staging-key\) → prod \(api key prod-key\)\n/);
    expect(r.stdout).toMatch(/Not compared: secrets and write-only fields/);
    expect(r.stdout).toMatch(/Target: app "acme-prod"/);
    expect(r.stdout).toMatch(/^ {2}\+ role\/moderator-lite$/m);
    expect(r.stdout).toMatch(/^ {2}\+ push_provider\/xiaomi\/mi$/m);
    expect(r.stdout).toMatch(/^ {2}~ blocklist\/banned-words$/m);
    expect(r.stdout).toMatch(/^ {6}~ \/settings\/webhook_url: "https:\/\/hooks\.acme\.example\/prod" → "https:\/\/hooks\.acme\.example\/staging"$/m);
    // Matching objects are no change, whatever their secrets.
    expect(r.stdout).not.toMatch(/role\/support-agent/);
    expect(r.stdout).not.toMatch(/push_provider\/firebase\/fcm/);
    expect(r.stdout).toMatch(/Plan: 2 to create, 2 to update, 0 to delete\./);
    expect(r.stdout).toMatch(/\(diff: nothing was written to staging or prod\)/);
  });

  it('never compares nor shows a secret: the app\'s sqs_secret and the provider credentials differ, and no change says so', async () => {
    const r = await diff({ format: 'json' });
    expect(r.code).toBe(0);
    for (const value of [...Object.values(SECRETS), APPS.staging.secret, APPS.prod.secret]) expect(r.stdout).not.toContain(value);
    expect(r.stdout).not.toContain('(sensitive value)');
    const doc = JSON.parse(r.stdout) as { changes: { address: string; action: string; fields: { path: string; sensitive: boolean }[] }[] };
    const app = doc.changes.find((c) => c.address === 'app')!;
    expect(app.fields.map((f) => f.path)).toEqual(['/settings/webhook_url']);
    expect(doc.changes.flatMap((c) => c.fields).filter((f) => f.sensitive)).toEqual([]);
    expect(doc.changes.flatMap((c) => c.fields.map((f) => f.path))).not.toContain('/xiaomi_app_secret');
    // The app's name is per app: neither compared nor a guard.
    expect(r.stdout).not.toContain('expect_name');
  });

  it('says a created object comes without the secrets staging withholds', async () => {
    const r = await diff();
    expect(r.stdout).toMatch(/Warning: push_provider\/xiaomi\/mi: created without \/xiaomi_app_secret: staging's secret and write-only values are never copied; declare prod's own in its overlay/);
  });

  it('shows what only prod has as a warning, and as a delete with --prune', async () => {
    const plain = await diff({ format: 'json' });
    const doc = JSON.parse(plain.stdout) as { changes: { address: string; action: string }[]; warnings: { address: string; message: string }[] };
    expect(doc.changes.filter((c) => c.action === 'delete')).toEqual([]);
    expect(doc.warnings).toContainEqual({ address: 'role/legacy-admin', message: 'only in prod: staging has no such object; a promotion leaves it as is (--prune shows it as a delete)' });

    const before = writes();
    const pruned = await diff({ prune: true, detailedExitcode: true });
    expect(writes()).toBe(before);
    expect(pruned.code).toBe(2);
    expect(pruned.stdout).toMatch(/^ {2}- role\/legacy-admin$/m);
    expect(pruned.stdout).not.toMatch(/only in prod/);
    expect(pruned.stdout).toMatch(/Plan: 2 to create, 2 to update, 1 to delete\./);
    // Built-ins (roles, permissions, the built-in block list, call types) are never deletes.
    expect(pruned.stdout.match(/^ {2}- /gm)).toHaveLength(1);
  });

  it('prints JSON that parses, with the promotion beside the plan', async () => {
    const r = await diff({ format: 'json', kinds: ['roles', 'blocklists'] });
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & { promotion: Record<string, unknown>; summary: Record<string, number>; changes: { address: string }[] };
    expect(doc.format_version).toBe('1');
    expect(doc.promotion).toEqual({
      source: { environment: 'staging', base_url: emu.url, api_key: 'staging-key', app_name: null },
      target: { environment: 'prod', base_url: emu.url, api_key: 'prod-key', app_name: null },
      kinds: ['roles', 'blocklists'],
      prune: false,
      excluded: ['secret fields', 'write-only fields', 'app name', 'users'],
    });
    expect(doc.changes.map((c) => c.address).sort()).toEqual(['blocklist/banned-words', 'role/moderator-lite']);
    expect(doc.summary).toMatchObject({ create: 1, update: 1, delete: 0 });
  });

  it('renders Markdown for a pull request', async () => {
    const r = await diff({ format: 'markdown', kinds: ['roles'] });
    expect(r.stdout).toMatch(/^\*\*Promotion: staging \(api key staging-key\) → prod \(api key prod-key\)\*\*\n/);
    expect(r.stdout).toMatch(/<code>role\/moderator-lite<\/code>/);
  });

  it('exits 0 when prod already matches what is compared', async () => {
    const r = await diff({ kinds: ['roles'], targets: ['role/support-agent'], detailedExitcode: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No changes\./);
  });

  it('refuses kinds it cannot compare, and an app compared with itself', async () => {
    await expect(diff({ kinds: ['users'] })).rejects.toThrow(/--kinds: cannot compare users/);
    const staging = await open('staging');
    await expect(runDiff({ format: 'text', names: { source: 'staging', target: 'again' } }, staging, staging, capture())).rejects.toThrow(/staging and again are the same app/);
  });
});
