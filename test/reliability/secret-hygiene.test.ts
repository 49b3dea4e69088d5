import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../src/core/secrets.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { serverToken } from '../support/api.js';
import { runCli } from '../support/cli.js';

/**
 * Secret hygiene: sentinel secrets (the API secret, every kind of secret field, and a readable field substituted
 * from the environment) go through every command, every log level and the failure paths, including API errors
 * that quote the request back. Not one fragment of them may appear in any output or file stream-sync writes.
 * Every sentinel starts with MARK, so a leak shows even when an output cuts a secret short.
 */
const MARK = 'ZZSE';
const SENTINELS = {
  STREAM_API_SECRET: `${MARK}CRET-api-0b7c41d9`,
  SQS_SECRET: `${MARK}CRET-sqs-5e2a90f1`,
  S3_KEY: `${MARK}CRET-s3key-77c1`,
  S3_SECRET: `${MARK}CRET-s3-3d9e0a4b`,
  // A credential with quotes and a newline: it travels JSON-escaped, once or twice.
  FCM_CREDENTIALS: JSON.stringify({ private_key: `${MARK}CRET-fcm\n-----END PRIVATE KEY-----\n`, type: 'service_account', project_id: 'acme' }),
  // Not a secret field: the file marks it secret (${secret:…}), so it is masked like one.
  HOOK_URL: `https://hooks.acme.example/${MARK}CRET-hook-19aa`,
};
/** A server-side token (a JWT's header, base64url) must never be printed either. */
const JWT_HEADER = 'eyJhbGciOi';

const FILE = `version: 1
app:
  settings:
    webhook_url: \${secret:HOOK_URL}
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/stream
    sqs_key: AKIAEXAMPLE
    sqs_secret: \${env:SQS_SECRET}
push_providers:
  - type: firebase
    name: fcm
    firebase_credentials: \${env:FCM_CREDENTIALS}
    templates:
      - event_type: message.new
        template: '{"title": "{{ sender.name }}"}'
external_storages:
  - name: recordings
    storage_type: s3
    bucket: acme-recordings
    aws_s3:
      s3_region: us-east-1
      s3_api_key: \${env:S3_KEY}
      s3_secret: \${env:S3_SECRET}
blocklists:
  - name: banned
    words: [scam]
policy:
  check_user_id: checker
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

describe('secret hygiene', () => {
  let emu: RunningEmulator;
  let dir: string;
  let file: string;
  /** Every output and file collected, by where it came from. */
  const outputs: [string, string][] = [];
  const keep = (where: string, r: { stdout: string; stderr: string }) => outputs.push([`${where} stdout`, r.stdout], [`${where} stderr`, r.stderr]);
  const keepFile = (where: string, path: string) => {
    expect(existsSync(path), `${where} was not written`).toBe(true);
    outputs.push([where, readFileSync(path, 'utf8')]);
  };
  /** One app per run that must write everything (each log level), all with the sentinel API secret. */
  const KEYS = [...LEVELS, 'pretty', 'main', 'echo-json', 'echo-text'].map((k) => `app-${k}`);
  // SENTINELS holds STREAM_API_SECRET: the connection's secret is a sentinel too.
  const env = (key: string) => ({ STREAM_API_KEY: key, STREAM_BASE_URL: emu.url, ...SENTINELS });
  const run = (key: string, args: string[]) => runCli([...args, '--state-file', join(dir, `${key}.state.json`)], env(key));

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: KEYS.map((key) => ({ key, secret: SENTINELS.STREAM_API_SECRET, name: key })) });
    dir = mkdtempSync(join(tmpdir(), 'hygiene-'));
    file = join(dir, 'stream.yaml');
    writeFileSync(file, FILE);
    // The checker CheckPush renders templates for.
    emu.app('app-main').users.set('checker', { id: 'checker', role: 'user', name: 'Checker', custom: {}, teams: [], created_at: new Date().toISOString(), updated_at: new Date().toISOString() });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('validate, plan in every format and --out, apply, plan again, check and export leak nothing', async () => {
    keep('validate', await runCli(['validate', '-f', file], SENTINELS));
    for (const format of ['text', 'json', 'markdown']) {
      const out = join(dir, `plan-${format}.json`);
      const r = await run('app-main', ['plan', '-f', file, '--format', format, '--out', out, '--log-level', 'trace', '--log-format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      keep(`plan --format ${format}`, r);
      keepFile(`plan --out (${format})`, out);
    }
    const apply = await run('app-main', ['apply', '-f', file, '--log-level', 'trace', '--log-format', 'json']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    keep('apply', apply);
    keepFile('state file', join(dir, 'app-main.state.json'));
    // The secrets landed: the sentinels are in the app, so an output without them proves redaction, not absence.
    expect(emu.app('app-main').settingsWriteOnly.sqs_secret).toBe(SENTINELS.SQS_SECRET);

    // Rotated secrets: the plan shows a change of sensitive values, never the values.
    const rotated = { ...env('app-main'), SQS_SECRET: `${MARK}CRET-rotated-sqs`, S3_SECRET: `${MARK}CRET-rotated-s3` };
    const again = await runCli(['plan', '-f', file, '--state-file', join(dir, 'app-main.state.json'), '--log-level', 'trace'], rotated);
    expect(again.stdout).toContain('(sensitive value)');
    keep('plan of rotated secrets', again);

    keep('check', await run('app-main', ['check', '-f', file, '--log-level', 'trace']));
    const exported = join(dir, 'export.yaml');
    // Export cannot know the webhook URL came from the environment: it is a readable setting, written as it is
    // read. Only the secret fields must become placeholders.
    const readBack = (text: string) => text.replace(SENTINELS.HOOK_URL, 'https://hooks.acme.example/(read back)');
    const toStdout = await runCli(['export', '--log-level', 'trace'], env('app-main'));
    expect(toStdout.stdout).toContain(SENTINELS.HOOK_URL);
    keep('export to stdout', { stdout: readBack(toStdout.stdout), stderr: toStdout.stderr });
    const toFile = await runCli(['export', '-o', exported, '--log-level', 'trace'], env('app-main'));
    expect(toFile.code, toFile.stderr).toBe(0);
    keep('export -o', toFile);
    const text = readFileSync(exported, 'utf8');
    expect(text).toContain('${env:STREAM_APP_SQS_SECRET}');
    outputs.push(['export file', readBack(text)]);

    expectNoLeak();
  });

  it('apply at every log level, JSON and pretty, leaks nothing', async () => {
    const runs = await Promise.all([
      ...LEVELS.map((level) => run(`app-${level}`, ['apply', '-f', file, '--log-level', level, '--log-format', 'json']).then((r) => [level, r] as const)),
      run('app-pretty', ['apply', '-f', file, '--log-level', 'trace', '--log-format', 'pretty']).then((r) => ['pretty', r] as const),
    ]);
    for (const [level, r] of runs) {
      expect(r.code, `${level}: ${r.stdout}${r.stderr}`).toBe(0);
      keep(`apply --log-level ${level}`, r);
    }
    // Trace and debug did log (each request), so their silence about secrets means something.
    expect(runs.find(([l]) => l === 'trace')![1].stderr).toMatch(/"level":"debug"/);
    expectNoLeak();
  });

  it.each(['json', 'text'] as const)('API errors that quote the request back (%s) are redacted, in apply, check and every log', async (format) => {
    const key = `app-echo-${format}`;
    emu.faults.configure({ rules: [{ kind: 'echo_body', format, op: ['UpdateApp', 'UpsertPushProvider', 'CreateExternalStorage', 'CheckSQS', 'CheckExternalStorage'] }] });
    try {
      const apply = await run(key, ['apply', '-f', file, '--log-level', 'trace', '--log-format', 'json']);
      expect(apply.code).toBe(1);
      // The failures are reported, with the API's message, minus the secrets it quoted.
      expect(apply.stdout).toMatch(/failed {2}app \(update\): UpdateApp: HTTP 400.*the request body is invalid/);
      expect(apply.stdout).toMatch(/failed {2}push_provider\/firebase\/fcm \(create\)/);
      expect(apply.stdout).toMatch(/failed {2}external_storage\/recordings \(create\)/);
      expect(apply.stdout).toContain('(sensitive value)');
      keep(`apply with echoed errors (${format})`, apply);
      keep(`check with echoed errors (${format})`, await run(key, ['check', '-f', file, '--log-level', 'trace']));
    } finally {
      emu.faults.clear();
    }
    expectNoLeak();
  });

  function expectNoLeak(): void {
    expect(outputs.length).toBeGreaterThan(0);
    for (const [where, text] of outputs) {
      expect(text.includes(MARK), `${where} shows a secret:\n${text.slice(Math.max(0, text.indexOf(MARK) - 200), text.indexOf(MARK) + 200)}`).toBe(false);
      expect(text.includes(JWT_HEADER), `${where} shows a token`).toBe(false);
    }
  }
});

describe('the emulator can quote a request back in its error (fault echo_body)', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off' });
  });
  afterAll(async () => {
    await emu.close();
  });

  it.each([
    ['json', /^application\/json/, (body: string) => JSON.parse(body).message as string],
    ['text', /^text\/plain/, (body: string) => body],
  ] as const)('as %s', async (format, type, messageOf) => {
    emu.faults.configure({ rules: [{ kind: 'echo_body', format, op: 'CreateRole', times: 1 }] });
    const call = async () =>
      fetch(`${emu.url}/api/v2/roles?api_key=${emu.apiKey}`, {
        method: 'POST',
        headers: { authorization: await serverToken(emu.apiSecret), 'stream-auth-type': 'jwt', 'content-type': 'application/json' },
        body: JSON.stringify({ name: `quoted-${format}` }),
      });
    const first = await call();
    expect(first.status).toBe(400);
    expect(first.headers.get('content-type')).toMatch(type);
    expect(messageOf(await first.text())).toContain(`the request body is invalid: {"name":"quoted-${format}"}`);
    // Refused before the handler: nothing was created, and the next request is answered normally.
    expect((await call()).status).toBe(201);
    expect(emu.faults.hitCounts).toEqual([1]);
    emu.faults.clear();
  });
});

describe('redact', () => {
  const secret = 'p4ss"word\nline2';
  it.each([
    ['as written', `rejected: ${secret}!`, 'rejected: (sensitive value)!'],
    ['JSON-escaped once', `body {"k":${JSON.stringify(secret)}}`, 'body {"k":"(sensitive value)"}'],
    ['JSON-escaped twice', JSON.stringify(`{"k":${JSON.stringify(secret)}}`), JSON.stringify('{"k":"(sensitive value)"}').replace('\\"(sensitive value)\\"', '\\"(sensitive value)\\"')],
    ['cut off at the end', `body {"k":"p4ss\\"wo`, 'body {"k":"(sensitive value)'],
  ])('removes a secret %s', (_name, text, expected) => {
    expect(redact(text, [secret])).toBe(expected);
  });

  it('leaves a message without secrets as it is', () => {
    expect(redact('CreateRole: HTTP 400 (Stream code 4): name is required', [secret, 'other-secret'])).toBe('CreateRole: HTTP 400 (Stream code 4): name is required');
  });
});
