import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { ROOT, runCli } from '../support/cli.js';
import { isWrite } from '../support/emulator.js';

/**
 * One repository, several apps: a base and an overlay per environment, selected by `--env` with the app's own
 * credentials and state file, values substituted per environment shown in plans, secrets masked everywhere.
 */

const STAGING = { key: 'staging-key', secret: 'staging-secret-value-1', name: 'acme-staging' };
const PROD = { key: 'prod-key', secret: 'prod-secret-value-2', name: 'acme-prod' };
const SQS_SECRET = 'sentinel-sqs-5e1f';

const BASE = `version: 1
app:
  settings:
    webhook_url: https://hooks.acme.example/\${env:ENV_NAME}/stream
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q
    sqs_key: AKIAEXAMPLE
    sqs_secret: \${env:SQS_SECRET}
blocklists:
  - name: banned-words
    words: [scam, spoiler]
  - name: beta-words
    words: [beta]
policy:
  prune: [blocklists]
`;

describe('environments and layers', () => {
  let emu: RunningEmulator;
  let dir: string;
  const env = () => ({ STAGING_API_SECRET: STAGING.secret, PROD_API_SECRET: PROD.secret, SQS_SECRET, STREAM_BASE_URL: emu.url });
  const names = (key: string) => [...emu.app(key).blocklists.values()].map((b) => String(b.name)).sort();
  const writesTo = (key: string) => emu.requests.filter((r) => r.apiKey === key && isWrite(r)).length;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [STAGING, PROD] });
    dir = mkdtempSync(join(tmpdir(), 'envs-'));
    mkdirSync(join(dir, 'base'));
    mkdirSync(join(dir, 'overlays/staging'), { recursive: true });
    mkdirSync(join(dir, 'overlays/prod'), { recursive: true });
    writeFileSync(join(dir, 'base/stream.yaml'), BASE);
    writeFileSync(join(dir, 'overlays/staging/stream.yaml'), 'version: 1\napp:\n  expect_name: acme-staging\n');
    writeFileSync(
      join(dir, 'overlays/prod/stream.yaml'),
      'version: 1\napp:\n  expect_name: acme-prod\nblocklists:\n  - name: banned-words\n    words: [scam, spoiler, fraud]\nremove: [blocklist/beta-words]\npolicy:\n  max_deletes: 0\n',
    );
    writeFileSync(
      join(dir, 'environments.yaml'),
      `version: 1
environments:
  staging:
    files: [base/, overlays/staging/]
    base_url: ${emu.url}
    api_key: ${STAGING.key}
    api_secret: \${env:STAGING_API_SECRET}
  prod:
    files: [base/, overlays/prod/]
    base_url: ${emu.url}
    api_key: ${PROD.key}
    api_secret: \${env:PROD_API_SECRET}
`,
    );
  });
  afterAll(async () => {
    await emu.close();
  });

  const cli = (args: string[], vars: Record<string, string> = {}) => runCli([...args, '--environments', join(dir, 'environments.yaml')], { ...env(), ...vars });

  it('plans each environment against its own app, showing the values substituted for it and masking secrets in every format', async () => {
    const staging = await cli(['plan', '--env', 'staging'], { ENV_NAME: 'staging' });
    expect(staging.code).toBe(0);
    expect(staging.stdout).toContain('https://hooks.acme.example/staging/stream');
    expect(staging.stdout).toMatch(/sqs_secret: \(sensitive value\)/);
    const prod = await cli(['plan', '--env', 'prod', '--format', 'json', '--out', join(dir, 'prod-plan.json')], { ENV_NAME: 'prod' });
    const doc = JSON.parse(prod.stdout) as { target: { api_key: string }; changes: { address: string; fields: { path: string; after: unknown }[] }[] };
    expect(doc.target.api_key).toBe(PROD.key);
    expect(doc.changes.map((c) => c.address).sort()).toEqual(['app', 'blocklist/banned-words']);
    expect(doc.changes.find((c) => c.address === 'app')!.fields.find((f) => f.path === '/settings/webhook_url')!.after).toBe('https://hooks.acme.example/prod/stream');
    const markdown = await cli(['plan', '--env', 'prod', '--format', 'markdown', '--log-level', 'debug'], { ENV_NAME: 'prod' });
    for (const text of [staging.stdout, staging.stderr, prod.stdout, readFileSync(join(dir, 'prod-plan.json'), 'utf8'), markdown.stdout, markdown.stderr]) {
      for (const secret of [SQS_SECRET, STAGING.secret, PROD.secret]) expect(text).not.toContain(secret);
    }
    expect(writesTo(STAGING.key) + writesTo(PROD.key)).toBe(0);
  });

  it('applies an environment to its app only, with its own state file, and guards it by its expected name', async () => {
    const r = await cli(['apply', '--env', 'prod'], { ENV_NAME: 'prod' });
    expect(r.code).toBe(0);
    expect(names(PROD.key)).toContain('banned-words');
    expect(names(PROD.key)).not.toContain('beta-words');
    expect(writesTo(STAGING.key)).toBe(0);
    const state = readFileSync(join(dir, '.stream-sync/prod.json'), 'utf8');
    expect(state).toContain(PROD.key);
    expect(state).not.toContain(SQS_SECRET);
    // prod's files pointed at staging's app: the overlay's expect_name refuses.
    writeFileSync(join(dir, 'swapped.yaml'), readFileSync(join(dir, 'environments.yaml'), 'utf8').replace(`api_key: ${PROD.key}`, `api_key: ${STAGING.key}`).replace('${env:PROD_API_SECRET}', '${env:STAGING_API_SECRET}'));
    const swapped = await runCli(['apply', '--env', 'prod', '--environments', join(dir, 'swapped.yaml')], { ...env(), ENV_NAME: 'prod' });
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/app\.expect_name is "acme-prod" but the API key belongs to app "acme-staging"/);
    expect(writesTo(STAGING.key)).toBe(0);
  });

  it('needs only the selected environment\'s variables, and refuses a secret written out or -f beside --env', async () => {
    const onlyStaging = await runCli(['validate', '--env', 'staging', '--environments', join(dir, 'environments.yaml')], { SQS_SECRET, ENV_NAME: 'staging' });
    expect(onlyStaging.code).toBe(0);
    writeFileSync(join(dir, 'literal.yaml'), readFileSync(join(dir, 'environments.yaml'), 'utf8').replace('${env:STAGING_API_SECRET}', 'written-out-secret'));
    const literal = await runCli(['plan', '--env', 'staging', '--environments', join(dir, 'literal.yaml')], { ...env(), ENV_NAME: 'staging' });
    expect(literal.code).toBe(1);
    expect(literal.stderr).toMatch(/literal\.yaml:\d+:\d+: environments\.staging\.api_secret: write \$\{env:NAME\} or \$\{file:PATH\} here \(one reference, no fallback\), never the secret itself/);
    expect(literal.stderr).not.toContain('written-out-secret');
    // Nor as a fallback: the secret would sit in the file all the same.
    writeFileSync(join(dir, 'fallback.yaml'), readFileSync(join(dir, 'environments.yaml'), 'utf8').replace('${env:STAGING_API_SECRET}', '${env:UNSET_VAR:-fallback-secret}'));
    const fallback = await runCli(['plan', '--env', 'staging', '--environments', join(dir, 'fallback.yaml')], { ...env(), ENV_NAME: 'staging' });
    expect(fallback.code).toBe(1);
    expect(fallback.stderr).not.toContain('fallback-secret');
    // A notification for an environment that does not exist would never be sent: refused.
    writeFileSync(join(dir, 'typo.yaml'), `${readFileSync(join(dir, 'environments.yaml'), 'utf8')}notifications:\n  - name: ops\n    url: https://hooks.example/x\n    format: json\n    environments: [prd]\n`);
    const typo = await runCli(['validate', '--env', 'staging', '--environments', join(dir, 'typo.yaml')], { ...env(), ENV_NAME: 'staging' });
    expect(typo.stderr).toMatch(/typo\.yaml:\d+:\d+: notifications\[0\]\.environments\[0\]: no environment "prd": declared are staging, prod/);
    // watch takes --env repeated (several apps in one daemon); a missing environments file is a plain error.
    const watch = await runCli(['watch', '--env', 'staging', '--environments', join(dir, 'missing.yaml')], env());
    expect(watch.code).toBe(1);
    expect(watch.stderr).toMatch(/cannot read the environments file/);
    expect((await runCli(['plan', '-f', join(dir, 'base'), '--environments', join(dir, 'environments.yaml')], env())).stderr).toMatch(/pass --env NAME too/);
    expect((await cli(['plan', '--env', 'staging', '-f', join(dir, 'base')], { ENV_NAME: 'x' })).stderr).toMatch(/pass either -f or --env/);
    expect((await cli(['plan', '--env', 'qa'], { ENV_NAME: 'x' })).stderr).toMatch(/has no environment "qa": it declares staging, prod/);
  });

  it('plans the worked example (config.example/environments) with each environment\'s own values', async () => {
    const example = join(ROOT, 'config.example/environments/environments.yaml');
    const vars = { STREAM_BASE_URL: emu.url, STAGING_STREAM_API_KEY: STAGING.key, STAGING_STREAM_API_SECRET: STAGING.secret, PROD_STREAM_API_KEY: PROD.key, PROD_STREAM_API_SECRET: PROD.secret, STREAM_SQS_SECRET: SQS_SECRET };
    for (const [name, other] of [['staging', 'prod'], ['prod', 'staging']] as const) {
      const explained = await runCli(['validate', '--env', name, '--environments', example, '--explain', 'app'], vars);
      expect(explained.stdout).toMatch(new RegExp(`/settings/webhook_url = "https://hooks\\.acme\\.example/${name}/stream"\\s+\\S*base/stream\\.yaml:8:18`));
      expect(explained.stdout).toMatch(/\/settings\/sqs_secret = \(sensitive value\)/);
      const r = await runCli(['plan', '--env', name, '--environments', example, '--format', 'json'], vars);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { target: { api_key: string }; changes: { address: string }[] };
      expect(doc.target.api_key).toBe(name === 'prod' ? PROD.key : STAGING.key);
      for (const text of [r.stdout, explained.stdout]) {
        expect(text).not.toContain(`/${other}/`);
        expect(text).not.toContain(SQS_SECRET);
      }
    }
  });

  it('explains which layer set each value of an object', async () => {
    const r = await runCli(['validate', '-f', join(dir, 'base'), '-f', join(dir, 'overlays/prod'), '--explain', 'blocklist/banned-words'], { ENV_NAME: 'prod', SQS_SECRET });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/words = \["scam","spoiler","fraud"\]\s+\S*overlays\/prod\/stream\.yaml:6:12/);
    expect(r.stdout).toMatch(/\/name = "banned-words"\s+\S*overlays\/prod\/stream\.yaml:5:11/);
    const secret = await runCli(['validate', '-f', join(dir, 'base'), '--explain', 'app'], { ENV_NAME: 'prod', SQS_SECRET });
    expect(secret.stdout).toMatch(/\/settings\/sqs_secret = \(sensitive value\)\s+\S*base\/stream\.yaml:7:17/);
    expect(secret.stdout).not.toContain(SQS_SECRET);
  });
});
