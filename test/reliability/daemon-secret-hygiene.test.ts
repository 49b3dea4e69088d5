import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { spawnCli } from '../support/cli.js';

/**
 * Secret hygiene of `stream-sync watch`, the built CLI: sentinel secrets (the API secret, every kind of secret
 * field, and a readable setting substituted from the environment) through the daemon at every log level, in JSON
 * and pretty, and through everything `--listen` serves, along the failure paths: a reconcile whose writes fail
 * with an error that quotes the request back (JSON and plain text), then one that succeeds, then a file that no
 * longer validates with the secrets where validation fails. Not one fragment may appear in the logs, in
 * `/healthz`, `/readyz` or `/metrics`, or in the state file. Every sentinel starts with MARK, so a secret cut
 * short still shows.
 */
const MARK = 'ZZSE';
const SENTINELS = {
  STREAM_API_SECRET: `${MARK}CRET-api-6a1d02c7`,
  SQS_SECRET: `${MARK}CRET-sqs-91b3e5f0`,
  S3_KEY: `${MARK}CRET-s3key-4e2a`,
  S3_SECRET: `${MARK}CRET-s3-0c8d7b16`,
  // Quotes and newlines: it travels JSON-escaped, once or twice.
  FCM_CREDENTIALS: JSON.stringify({ private_key: `${MARK}CRET-fcm\n-----END PRIVATE KEY-----\n`, type: 'service_account', project_id: 'acme' }),
  // Not a secret field: sensitive because it is substituted from the environment.
  HOOK_URL: `https://hooks.acme.example/${MARK}CRET-hook-7f01`,
};
/** A server-side token (a JWT's header, base64url). */
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
`;

/** The same file broken where it hurts: secrets substituted into fields whose validation fails. */
const INVALID = FILE.replace('    sqs_key: AKIAEXAMPLE\n', '    sqs_key: AKIAEXAMPLE\n    enforce_unique_usernames: ${env:SQS_SECRET}\n')
  .replace('firebase_credentials: ${env:FCM_CREDENTIALS}', 'firebase_credentials: ${env:S3_SECRET}')
  .replace('    words: [scam]\n', '    words: [scam]\n    is_leet_check_enabled: ${env:S3_KEY}\n');

/** The writes that carry secrets, refused with an error quoting their body. */
const ECHOED_OPS = ['UpdateApp', 'UpsertPushProvider', 'CreateExternalStorage'];

interface Run {
  name: string;
  level: string;
  format: 'json' | 'pretty';
  echo: 'json' | 'text';
}

const RUNS: Run[] = [
  ...(['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const).map((level) => ({ name: `--log-level ${level}`, level, format: 'json' as const, echo: 'json' as const })),
  { name: '--log-level trace, errors quoted as plain text', level: 'trace', format: 'json', echo: 'text' },
  { name: '--log-format pretty --log-level trace', level: 'trace', format: 'pretty', echo: 'text' },
];

/** A port free a moment ago: `--listen` needs one known in advance, as a silent daemon never says where it is. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Readyz {
  ready: boolean;
  last_run: { result: string } | null;
  config: { valid: boolean };
}

const POLL = { timeout: 20_000, interval: 50 };

/** One daemon through the failure paths; returns every output it produced, by where it came from. */
async function throughFailures(run: Run, emu: RunningEmulator, key: string): Promise<[string, string][]> {
  const outputs: [string, string][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'watch-hygiene-'));
  const file = join(dir, 'stream.yaml');
  const state = join(dir, 'state.json');
  writeFileSync(file, FILE);
  const url = `http://127.0.0.1:${await freePort()}`;
  const serve = async (stage: string) => {
    for (const path of ['/healthz', '/readyz', '/metrics']) outputs.push([`${run.name}: ${path} ${stage}`, await (await fetch(`${url}${path}`)).text()]);
  };
  const readyz = async (): Promise<Readyz | undefined> => {
    try {
      return (await (await fetch(`${url}/readyz`)).json()) as Readyz;
    } catch {
      return undefined; // not listening yet
    }
  };

  emu.faults.configure({ rules: [{ kind: 'echo_body', format: run.echo, op: ECHOED_OPS }] });
  const p = spawnCli(['watch', '-f', file, '--state-file', state, '--listen', url.slice('http://'.length), '--log-level', run.level, '--log-format', run.format], {
    STREAM_API_KEY: key,
    STREAM_BASE_URL: emu.url,
    ...SENTINELS,
  });
  try {
    // 1. The writes fail with errors that quote their bodies, secrets included.
    await expect.poll(async () => (await readyz())?.last_run?.result, POLL).toBe('error');
    expect(emu.faults.hitCounts[0]).toBeGreaterThanOrEqual(ECHOED_OPS.length);
    await serve('after errors that quote the request');

    // 2. The API recovers: the retry after back-off applies everything, secrets included.
    emu.faults.clear();
    await expect.poll(async () => (await readyz())?.ready, POLL).toBe(true);
    expect(emu.app(key).settingsWriteOnly.sqs_secret).toBe(SENTINELS.SQS_SECRET);
    await serve('after a successful run');

    // 3. The file stops validating, with secrets where it fails: reported, never applied.
    writeFileSync(file, INVALID);
    await expect.poll(async () => (await readyz())?.config.valid, POLL).toBe(false);
    await serve('with an invalid file');
  } finally {
    p.child.kill('SIGTERM');
  }
  expect(await p.exit, p.stderr()).toBe(0);
  outputs.push([`${run.name}: stdout`, p.stdout()], [`${run.name}: stderr`, p.stderr()]);
  expect(existsSync(state)).toBe(true);
  outputs.push([`${run.name}: state file`, readFileSync(state, 'utf8')]);
  return outputs;
}

describe('watch leaks no secret: logs at every level, /healthz, /readyz, /metrics, the state file', () => {
  it('through errors that quote the request, a successful run and an invalid file', { timeout: 60_000 }, async () => {
    // One emulator per daemon: each needs faults of its own at its own time.
    const emus = await Promise.all(RUNS.map((_, i) => startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [{ key: `hygiene-${i}`, secret: SENTINELS.STREAM_API_SECRET, name: `hygiene-${i}` }] })));
    try {
      const results = await Promise.all(RUNS.map((run, i) => throughFailures(run, emus[i]!, `hygiene-${i}`)));
      const all = results.flat();
      const of = (run: Run, where: string) => all.find(([w]) => w === `${run.name}: ${where}`)![1];

      // The outputs said something: the failures were logged (redacted), the problem of the file was served.
      for (const run of RUNS.filter((r) => r.level === 'trace')) {
        const log = of(run, 'stdout');
        // Debug lines (each request) were written: their silence about secrets means something.
        expect(log, run.name).toMatch(run.format === 'json' ? /"level":"debug"/ : /DEBUG/);
        expect(log, run.name).toContain('the request body is invalid');
        expect(log, run.name).toContain('(sensitive value)');
      }
      const invalid = all.find(([w]) => w === `${RUNS[0]!.name}: /readyz with an invalid file`)![1];
      expect(invalid).toMatch(/stream\.yaml:\d+:\d+: app\.settings\.enforce_unique_usernames/);
      expect(invalid).toMatch(/firebase_credentials/);
      expect(of(RUNS[0]!, '/metrics after a successful run')).toMatch(/stream_sync_api_requests_total\{app="default",operation="UpdateApp",status="400"\} [1-9]/);

      for (const [where, text] of all) {
        const at = text.indexOf(MARK);
        expect(at < 0, `${where} shows a secret:\n${text.slice(Math.max(0, at - 200), at + 200)}`).toBe(true);
        expect(text.includes(JWT_HEADER), `${where} shows a token`).toBe(false);
      }
    } finally {
      await Promise.all(emus.map((e) => e.close()));
    }
  });
});
