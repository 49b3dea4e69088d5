import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logRedactPaths } from '../core/secrets.js';
import { KINDS } from '../kinds/registry.js';
import { withSecretRedaction } from './logger.js';

describe('log redaction', () => {
  it('covers the secret fields the kinds declare', () => {
    const paths = logRedactPaths(KINDS.flatMap((k) => k.secretFields));
    for (const name of ['sqs_secret', 'sns_secret', 's3_secret', 'firebase_credentials', 'apn_auth_key', 'abs_client_secret']) expect(paths).toContain(`*.${name}`);
  });

  it('censors secrets at any of the first four levels of a log line, and nothing else', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const log = withSecretRedaction(pino({ level: 'info' }, sink));
    log.info({ sqs_secret: 'sentinel-1', change: { settings: { sqs_secret: 'sentinel-2' } }, a: { b: { aws_s3: { s3_secret: 'sentinel-3' } } }, apiSecret: 'sentinel-4', address: 'app' }, 'line');
    expect(out).not.toMatch(/sentinel/);
    expect(JSON.parse(out)).toMatchObject({ sqs_secret: '(redacted)', change: { settings: { sqs_secret: '(redacted)' } }, address: 'app' });
  });
});
