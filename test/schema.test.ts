import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderJsonSchema } from '../src/desired/json-schema.js';
import { loadDesired } from '../src/desired/load.js';
import { KINDS } from '../src/kinds/registry.js';
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

type JsonNode = Record<string, unknown>;

/**
 * Where a property of a kind's schema has no `description` (its JSON path in the schema), walking every place the
 * generator puts a nested schema: properties, items, additionalProperties, anyOf/oneOf/allOf and $ref targets.
 */
function undescribedProperties(root: JsonNode, node: unknown, path: string, seen = new Set<unknown>()): string[] {
  if (!node || typeof node !== 'object' || seen.has(node)) return [];
  if (Array.isArray(node)) return node.flatMap((n, i) => undescribedProperties(root, n, `${path}/${i}`, seen));
  seen.add(node);
  const n = node as JsonNode;
  const out: string[] = [];
  const resolve = (ref: unknown): unknown =>
    typeof ref === 'string' && ref.startsWith('#/')
      ? ref.slice(2).split('/').reduce<unknown>((o, k) => (o as JsonNode | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], root)
      : undefined;
  if (n.$ref) out.push(...undescribedProperties(root, resolve(n.$ref), `${path}/$ref`, seen));
  for (const [key, value] of Object.entries((n.properties as Record<string, JsonNode> | undefined) ?? {})) {
    const target = value.$ref ? (resolve(value.$ref) as JsonNode | undefined) : undefined;
    if (typeof value.description !== 'string' && typeof target?.description !== 'string') out.push(`${path}/properties/${key}`);
    out.push(...undescribedProperties(root, value, `${path}/properties/${key}`, seen));
  }
  for (const key of ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
    out.push(...undescribedProperties(root, n[key], `${path}/${key}`, seen));
  }
  return out;
}

describe('descriptions (hover help in editors)', () => {
  const schema = JSON.parse(renderJsonSchema()) as JsonNode;
  const sections = KINDS.flatMap((k) => (k.section && k.schema ? [k.section] : []));

  it('every section and every property of every kind carries a description', () => {
    const properties = schema.properties as Record<string, JsonNode>;
    const missing = sections.flatMap((s) => {
      expect(properties[s], s).toBeDefined();
      return [...(typeof properties[s]!.description === 'string' ? [] : [`#/properties/${s}`]), ...undescribedProperties(schema, properties[s], `#/properties/${s}`)];
    });
    expect(missing).toEqual([]);
  });

  it('the walk finds a property without one, however deep (a check of the check)', () => {
    const bare = {
      type: 'object',
      properties: {
        a: { description: 'ok', type: 'array', items: { type: 'object', properties: { b: { type: 'string' } } } },
        c: { description: 'ok', anyOf: [{ type: 'object', additionalProperties: { type: 'object', properties: { d: { type: 'number' } } } }, { type: 'null' }] },
        e: { $ref: '#/$defs/E' },
      },
      $defs: { E: { description: 'ok', type: 'object', properties: { f: { type: 'string' } } } },
    };
    expect(undescribedProperties(bare, bare, '#')).toEqual([
      '#/properties/a/items/properties/b',
      '#/properties/c/anyOf/0/additionalProperties/properties/d',
      '#/properties/e/$ref/properties/f',
    ]);
  });
});
