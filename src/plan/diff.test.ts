import { describe, expect, it } from 'vitest';
import type { DesiredObject, LiveObject } from '../core/model.js';
import { deletedFields, diffFields } from './diff.js';
import { SENSITIVE } from '../core/secrets.js';
import { type WriteOnlyMemory } from '../core/model.js';

const spec = {
  secretFields: ['/settings/sqs_secret', '/creds/*/key'],
  writeOnlyFields: ['/settings/apn_config'],
  setFields: ['/words', '/settings/grants/*'],
  identityFields: ['name'],
};
const memory = (applied: Record<string, unknown> = {}): WriteOnlyMemory => ({
  fingerprint: (_a, path, value) => `${path}=${JSON.stringify(value)}`,
  applied: (_a, path) => (path in applied ? `${path}=${JSON.stringify(applied[path])}` : undefined),
});
const desired = (fields: Record<string, unknown>, sensitive: string[] = []): DesiredObject => ({ kind: 'k', address: 'k/x', fields: { name: 'x', ...fields }, sensitive });
const live = (fields: Record<string, unknown>): LiveObject => ({ kind: 'k', address: 'k/x', fields: { name: 'x', ...fields } });
const diff = (d: DesiredObject, l: LiveObject | undefined, applied?: Record<string, unknown>, ignoredFields: string[] = []) =>
  diffFields(d, l, { spec, ignoredFields, memory: memory(applied) });

describe('diffFields', () => {
  it.each([
    ['equal scalars', { a: 1 }, { a: 1 }, []],
    ['a changed scalar', { a: 1 }, { a: 2 }, [{ path: '/a', before: 2, after: 1, sensitive: false }]],
    ['an undeclared live field (not managed)', { a: 1 }, { a: 1, b: 2 }, []],
    ['a declared field missing live', { a: 1 }, {}, [{ path: '/a', before: null, after: 1, sensitive: false }]],
    ['null declared, absent live', { a: null }, {}, []],
    ['a set in another order', { words: ['b', 'a'] }, { words: ['a', 'b'] }, []],
    ['a set with an added item, printed sorted', { words: ['c', 'a'] }, { words: ['a'] }, [{ path: '/words', before: ['a'], after: ['a', 'c'], sensitive: false }]],
    ['a set with a duplicate is not the same set', { words: ['a', 'a'] }, { words: ['a'] }, [{ path: '/words', before: ['a'], after: ['a', 'a'], sensitive: false }]],
    ['an ordered array in another order', { list: [1, 2] }, { list: [2, 1] }, [{ path: '/list', before: [2, 1], after: [1, 2], sensitive: false }]],
    ['nested objects on their declared keys only', { settings: { x: 1 } }, { settings: { x: 1, y: 2 } }, []],
    ['a nested change', { settings: { x: 1 } }, { settings: { x: 3 } }, [{ path: '/settings/x', before: 3, after: 1, sensitive: false }]],
    ['a map of sets per declared key', { settings: { grants: { a: ['r', 'w'] } } }, { settings: { grants: { a: ['w', 'r'], b: ['x'] } } }, []],
    ['an explicitly empty object', { settings: { o: {} } }, { settings: { o: { k: 1 } } }, [{ path: '/settings/o', before: { k: 1 }, after: {}, sensitive: false }]],
    ['the identity field is never a change', { name: 'y' }, {}, []],
  ])('%s', (_name, want, have, expected) => {
    expect(diff(desired(want), live(have))).toEqual(expected);
  });

  it('lists every declared field of a create, from null', () => {
    expect(diff(desired({ a: 1, settings: { x: 2 } }), undefined)).toEqual([
      { path: '/a', before: null, after: 1, sensitive: false },
      { path: '/settings/x', before: null, after: 2, sensitive: false },
    ]);
  });

  it('compares secrets by the fingerprint last applied, and never shows them', () => {
    const d = desired({ settings: { sqs_secret: 'SENTINEL' } });
    expect(diff(d, live({ settings: { sqs_secret: '' } }), { '/settings/sqs_secret': 'SENTINEL' })).toEqual([]);
    const changed = diff(d, live({ settings: {} }), { '/settings/sqs_secret': 'old' });
    expect(changed).toEqual([{ path: '/settings/sqs_secret', before: SENSITIVE, after: SENSITIVE, sensitive: true }]);
    expect(diff(d, live({ settings: {} }))).toEqual(changed);
    expect(JSON.stringify(diff(d, undefined))).not.toContain('SENTINEL');
  });

  it('masks a write-only object that holds a secret, and a value substituted from the environment', () => {
    const d = desired({ creds: { a: { key: 'K1', region: 'eu' } }, url: 'https://u:p@x' }, ['/url']);
    const out = diff(d, live({ url: 'https://old' }));
    expect(out).toContainEqual({ path: '/creds/a/key', before: SENSITIVE, after: SENSITIVE, sensitive: true });
    expect(out).toContainEqual({ path: '/creds/a/region', before: null, after: 'eu', sensitive: false });
    expect(out).toContainEqual({ path: '/url', before: SENSITIVE, after: SENSITIVE, sensitive: true });
  });

  it('compares a write-only value whole, by fingerprint', () => {
    const d = desired({ settings: { apn_config: { team_id: 'T' } } });
    expect(diff(d, live({ settings: {} }), { '/settings/apn_config': { team_id: 'T' } })).toEqual([]);
    expect(diff(d, live({ settings: {} }), { '/settings/apn_config': { team_id: 'U' } })).toEqual([{ path: '/settings/apn_config', before: null, after: { team_id: 'T' }, sensitive: false }]);
  });

  it('skips ignored fields', () => {
    expect(diff(desired({ settings: { x: 1, y: 1 } }), live({ settings: { x: 2, y: 2 } }), {}, ['/settings/x'])).toEqual([{ path: '/settings/y', before: 2, after: 1, sensitive: false }]);
  });

  it('compares a 10,000-word set regardless of order', () => {
    const words = Array.from({ length: 10_000 }, (_, i) => `w${i}`);
    expect(diff(desired({ words }), live({ words: [...words].reverse() }))).toEqual([]);
  });
});

describe('what a delete lists of the object it removes', () => {
  const withFields = { ...spec, secretFields: ['/token', '/creds/*/key'], writeOnlyFields: ['/apn_config'], fileFields: ['name', 'words', 'token', 'apn_config', 'creds', 'team', 'custom', 'note'] };

  it('lists the file fields the app holds, in the schema order, without identity, secrets, write-only, empty or false values', () => {
    const gone = live({ words: ['b', 'a'], token: 'abc', apn_config: { x: 1 }, team: false, custom: {}, note: 'kept', option_ids: { a: '1' } });
    expect(deletedFields(withFields, gone)).toEqual([
      { path: '/words', before: ['a', 'b'], after: null, sensitive: false },
      { path: '/note', before: 'kept', after: null, sensitive: false },
    ]);
  });

  it('shows a field that holds a secret deeper down only as sensitive', () => {
    const fields = deletedFields(withFields, live({ creds: { a: { key: 'very-secret' } } }));
    expect(fields).toEqual([{ path: '/creds', before: SENSITIVE, after: null, sensitive: true }]);
    expect(JSON.stringify(fields)).not.toContain('very-secret');
  });

  it('lists nothing for a kind that does not say its file fields', () => {
    expect(deletedFields(spec, live({ words: ['a'] }))).toEqual([]);
  });
});

describe('lists keyed by a field (moderation rules by label)', () => {
  const keyed = { ...spec, keyedLists: { '/rules': 'label' } };
  const rules = (...items: Record<string, unknown>[]) => items;
  const d = (fields: Record<string, unknown>) => desired(fields);
  const k = (dd: DesiredObject, l?: LiveObject) => diffFields(dd, l, { spec: keyed, ignoredFields: [], memory: memory() });

  it('compares item by item on the declared fields, addressed by the key', () => {
    const have = live({ rules: rules({ label: 'toxic', threshold: 0.7, action: 'flag', severity_rules: [] }, { label: 'threat', threshold: 0.5, action: 'remove' }) });
    const want = d({ rules: rules({ label: 'threat', threshold: 0.5, action: 'remove' }, { label: 'toxic', threshold: 0.8, action: 'flag' }) });
    expect(k(want, have)).toEqual([{ path: '/rules/toxic/threshold', before: 0.7, after: 0.8, sensitive: false }]);
  });

  it('shows an item the file no longer lists as removed, and a new one field by field (its key is in the path)', () => {
    const have = live({ rules: rules({ label: 'toxic', threshold: 0.7 }, { label: 'spam', threshold: 0.9 }) });
    const want = d({ rules: rules({ label: 'toxic', threshold: 0.7 }, { label: 'insult', threshold: 0.6 }) });
    expect(k(want, have)).toEqual([
      { path: '/rules/insult/threshold', before: null, after: 0.6, sensitive: false },
      { path: '/rules/spam', before: { label: 'spam', threshold: 0.9 }, after: null, sensitive: false },
    ]);
  });

  it('adds an item that declares nothing but its key whole', () => {
    expect(k(d({ rules: rules({ label: 'spam' }) }), live({ rules: [] }))).toEqual([{ path: '/rules/spam', before: null, after: { label: 'spam' }, sensitive: false }]);
  });

  it('masks a substituted sensitive value of an item by its key (the file\'s pointer is by index)', () => {
    const want = desired({ rules: rules({ label: 'llm', description: 'secret prompt', action: 'flag' }) }, ['/rules/0/description']);
    const out = k(want, live({ rules: rules({ label: 'llm', description: 'old', action: 'flag' }) }));
    expect(out).toEqual([{ path: '/rules/llm/description', before: SENSITIVE, after: SENSITIVE, sensitive: true }]);
  });

  it('shows what the app\'s item has beyond the declared fields as going (the item is the file\'s), empty values aside', () => {
    const out = k(d({ rules: rules({ label: 'toxic', action: 'flag' }) }), live({ rules: rules({ label: 'toxic', action: 'flag', severity_rules: [{ severity: 'high', action: 'remove' }], note: '' }) }));
    expect(out).toEqual([{ path: '/rules/toxic/severity_rules', before: [{ severity: 'high', action: 'remove' }], after: null, sensitive: false }]);
  });

  it('keys items by labels named like object properties', () => {
    const out = k(d({ rules: rules({ label: 'constructor', action: 'remove' }) }), live({ rules: rules({ label: 'constructor', action: 'flag' }) }));
    expect(out).toEqual([{ path: '/rules/constructor/action', before: 'flag', after: 'remove', sensitive: false }]);
  });

  it('falls back to comparing the whole list when items do not key cleanly (a key twice, or missing)', () => {
    const have = live({ rules: rules({ label: 'a' }, { label: 'a' }) });
    expect(k(d({ rules: rules({ label: 'a' }) }), have)).toEqual([{ path: '/rules', before: [{ label: 'a' }, { label: 'a' }], after: [{ label: 'a' }], sensitive: false }]);
  });
});
