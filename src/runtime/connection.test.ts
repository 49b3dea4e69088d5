import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionFromEnv, SECRET_CONFLICT } from './connection.js';

const secretFile = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'conn-')), 'secret');
  writeFileSync(f, `${text}\n`);
  return f;
};
const recorder = () => {
  const warned: { obj: unknown; msg: string }[] = [];
  return { warned, log: { warn: (obj: unknown, msg: string) => void warned.push({ obj, msg }) } as never };
};

describe('credentials from the environment', () => {
  it('STREAM_API_SECRET wins over STREAM_API_SECRET_FILE, with a warning naming neither value when they differ', () => {
    const { warned, log } = recorder();
    const conn = connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET: 'from-var-1a2b', STREAM_API_SECRET_FILE: secretFile('from-file-3c4d') }, log);
    expect(conn.apiSecret).toBe('from-var-1a2b');
    expect(warned.map((w) => w.msg)).toEqual([SECRET_CONFLICT]);
    expect(JSON.stringify(warned)).not.toMatch(/1a2b|3c4d/);
  });

  it('says nothing when both hold the same secret, and reads the file alone', () => {
    const { warned, log } = recorder();
    expect(connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET: 'same', STREAM_API_SECRET_FILE: secretFile('same') }, log).apiSecret).toBe('same');
    expect(connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET_FILE: secretFile('only-file') }, log).apiSecret).toBe('only-file');
    expect(warned).toEqual([]);
  });

  it('uses STREAM_API_SECRET, with a warning, when STREAM_API_SECRET_FILE cannot be read', () => {
    const { warned, log } = recorder();
    expect(connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET: 'v', STREAM_API_SECRET_FILE: '/nonexistent/secret' }, log).apiSecret).toBe('v');
    expect(warned.map((w) => w.msg)).toEqual(['STREAM_API_SECRET_FILE cannot be read (ENOENT): using STREAM_API_SECRET']);
    expect(() => connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET_FILE: '/nonexistent/secret' })).toThrow(/cannot read STREAM_API_SECRET_FILE \/nonexistent\/secret: ENOENT/);
  });

  it('keeps working without a logger (the old signature)', () => {
    expect(connectionFromEnv({ STREAM_API_KEY: 'k', STREAM_API_SECRET: 'a', STREAM_API_SECRET_FILE: secretFile('b') }).apiSecret).toBe('a');
  });
});
