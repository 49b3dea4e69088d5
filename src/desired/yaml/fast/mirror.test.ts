import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Document, type DocumentOptions, parseAllDocuments, parseDocument, type ParseOptions, type SchemaOptions, type ToJSOptions } from 'yaml';
import { YAML_OPTIONS } from '../document.js';
import { parseYamlFile } from '../file.js';
import { mirrorsParser } from './mirror.js';
import { fastPathUse } from './pieces.js';
import { plainLists } from './plain-lists.js';
import { simpleItems } from './simple-items.js';

// Every way into the library and into the fast readers, watched for the options it is given.
vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  return { ...yaml, parseAllDocuments: vi.fn(yaml.parseAllDocuments), parseDocument: vi.fn(yaml.parseDocument) };
});
vi.mock('./simple-items.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('./simple-items.js')>();
  return { ...m, simpleItems: vi.fn(m.simpleItems) };
});
vi.mock('./plain-lists.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('./plain-lists.js')>();
  return { ...m, plainLists: vi.fn(m.plainLists) };
});

afterEach(() => vi.clearAllMocks());

/** A file the fast path reads in every way: runs of the plainest items, a long word list, a section left to the library. */
const words = Array.from({ length: 20 }, (_, i) => `      - word-${i}`).join('\n');
const text = [
  'version: 1',
  'app:',
  '  settings: { webhook_url: "https://x.example" }',
  'users:',
  ...Array.from({ length: 30 }, (_, i) => `  - id: user-${i}\n    name: User ${i}`),
  'blocklists:',
  `  - name: list # a comment: not the plainest YAML, so the words are taken out for the library instead\n    words:\n${words}`,
  '',
].join('\n');
const parse = (fast: boolean) => parseYamlFile('stream.yaml', text, { env: {}, baseDir: tmpdir(), pieceBytes: 64, fast });

describe('the one set of YAML options (YAML_OPTIONS)', () => {
  it('is one the fast readers mirror: the fast path is on under the options the library parses with', () => {
    expect(mirrorsParser(YAML_OPTIONS)).toBe(true);
    const before = fastPathUse();
    parse(true);
    const after = fastPathUse();
    expect(after.files - before.files).toBe(1);
    expect(after.simpleItems - before.simpleItems).toBeGreaterThan(0);
    expect(after.plainLists - before.plainLists).toBeGreaterThan(0);
  });

  it('is the very object every parse, conversion and fast reader is given, fast path on or off', () => {
    const toJS = vi.spyOn(Document.prototype, 'toJS');
    const fast = parse(true);
    const whole = parse(false);
    expect(fast.parsed!.value).toEqual(whole.parsed!.value);
    // Locating a value that is not an item parses its piece again.
    expect(fast.parsed!.locate(['users', 3, 'name'])).toEqual({ file: 'stream.yaml', line: 12, col: 11 });
    expect(whole.parsed!.locate(['users', 3, 'name'])).toEqual({ file: 'stream.yaml', line: 12, col: 11 });
    for (const spy of [parseAllDocuments, parseDocument, simpleItems, plainLists] as unknown as ReturnType<typeof vi.fn>[]) {
      expect(spy).toHaveBeenCalled();
      for (const call of spy.mock.calls) expect(call[1]).toBe(YAML_OPTIONS);
    }
    expect(toJS).toHaveBeenCalled();
    for (const call of toJS.mock.calls) expect(call[0]).toBe(YAML_OPTIONS);
  });

  it('can take a repeated key either way: the fast readers give up on one', () => {
    expect(mirrorsParser({ ...YAML_OPTIONS, uniqueKeys: false })).toBe(true);
    expect(simpleItems('  - id: a\n    id: b\n', { ...YAML_OPTIONS, uniqueKeys: false })).toBeUndefined();
  });

  it.each([
    ['YAML 1.1', { version: '1.1' }],
    ['the YAML 1.1 schema', { schema: 'yaml-1.1' }],
    ['big integers', { intAsBigInt: true }],
  ] as const)('turns the fast readers off under %s, where the library reads their text otherwise', (_name, change) => {
    const options = { ...YAML_OPTIONS, ...change } as ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions;
    const item = '  - id: a\n    enabled: yes\n    tier: 5\n';
    expect(mirrorsParser(options)).toBe(false);
    expect(simpleItems(item, options)).toBeUndefined();
    expect(plainLists(`k:\n${'  - yes\n'.repeat(20)}`, options)).toBeUndefined();
    // What the readers give under the shared options is not what the library gives under these.
    expect(parseDocument(item, options).toJS(options)).not.toEqual(simpleItems(item, YAML_OPTIONS)!.value);
  });

  it.each([['merge keys', { merge: true }], ['custom tags', { customTags: [] }], ['maps', { mapAsMap: true }]])('turns the fast readers off under an option they were not written for (%s)', (_name, change) => {
    expect(mirrorsParser({ ...YAML_OPTIONS, ...change })).toBe(false);
    expect(simpleItems('  - id: a\n', { ...YAML_OPTIONS, ...change })).toBeUndefined();
  });
});
