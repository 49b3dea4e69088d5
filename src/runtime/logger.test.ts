import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logRedactPaths } from '../core/secrets.js';
import { KINDS } from '../kinds/registry.js';
import { VERSION } from '../core/version.js';
import { JSON_LINES, withSecretRedaction } from './logger.js';

/** A stream that keeps what the logger wrote. */
function capture() {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { sink, text: () => out };
}

describe('log redaction', () => {
  it('covers the secret fields the kinds declare', () => {
    const paths = logRedactPaths(KINDS.flatMap((k) => k.secretFields));
    for (const name of ['sqs_secret', 'sns_secret', 's3_secret', 'firebase_credentials', 'apn_auth_key', 'abs_client_secret']) expect(paths).toContain(`*.${name}`);
  });

  it('censors secrets at any of the first four levels of a log line, and nothing else', () => {
    const { sink, text } = capture();
    const log = withSecretRedaction(pino({ level: 'info' }, sink));
    log.info({ sqs_secret: 'sentinel-1', change: { settings: { sqs_secret: 'sentinel-2' } }, a: { b: { aws_s3: { s3_secret: 'sentinel-3' } } }, apiSecret: 'sentinel-4', address: 'app' }, 'line');
    expect(text()).not.toMatch(/sentinel/);
    expect(JSON.parse(text())).toMatchObject({ sqs_secret: '(redacted)', change: { settings: { sqs_secret: '(redacted)' } }, address: 'app' });
  });
});

describe('JSON log lines', () => {
  it('carry the level by name, an ISO time and the version', () => {
    const { sink, text } = capture();
    const log = pino({ level: 'info', ...JSON_LINES }, sink);
    log.child({ app: 'prod' }).warn('line');
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', version: VERSION, app: 'prod', msg: 'line' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
