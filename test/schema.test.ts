import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderJsonSchema } from '../src/desired/json-schema.js';
import { loadDesired } from '../src/desired/load.js';
import { ROOT } from './support/cli.js';

const schemaFile = join(ROOT, 'schema/stream-sync.schema.json');

describe('schema/stream-sync.schema.json', () => {
  it('is the one the code generates (run `npm run schema` after changing a kind\'s schema)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(renderJsonSchema());
  });

  it('accepts config.example/stream.yaml, which the validator accepts too', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    const file = join(ROOT, 'config.example/stream.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as unknown;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(loadDesired(file, { env: {} }).objects.size).toBeGreaterThan(10);
  });

  it('rejects what the validator rejects: unknown keys, wrong types, out-of-range values', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    expect(validate({ version: 1, blocklists: [{ name: 'a', words: ['x'], colour: 'red' }] })).toBe(false);
    expect(validate({ version: 1, roles: 'admin' })).toBe(false);
    expect(validate({ version: 1, app: { settings: { cdn_expiration_seconds: 5 } } })).toBe(false);
    expect(validate({ version: 2 })).toBe(false);
  });

  it('is linked from every desired-state file in config.example/', () => {
    for (const f of readdirSync(join(ROOT, 'config.example')).filter((n) => n.endsWith('.yaml'))) {
      expect(readFileSync(join(ROOT, 'config.example', f), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/stream-sync\.schema\.json/);
    }
  });
});
