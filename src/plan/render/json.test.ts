import { describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../core/model.js';
import { parsePlanJson, renderJson } from './json.js';
import { field, LEAKY, planOf, SAMPLE, SECRET } from './test-fixtures.js';

const keysInOrder = (o: object) => Object.keys(o);

describe('renderJson', () => {
  it('prints the contract fields in the contract order, 2-space indented, with a trailing newline', () => {
    const out = renderJson(SAMPLE);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.startsWith('{\n  "format_version": "1",\n  "target": {\n    "base_url": ')).toBe(true);
    const doc = JSON.parse(out);
    expect(keysInOrder(doc)).toEqual(['format_version', 'target', 'summary', 'changes', 'warnings', 'live_fingerprint']);
    expect(keysInOrder(doc.target)).toEqual(['base_url', 'api_key', 'app_name']);
    expect(keysInOrder(doc.summary)).toEqual(['create', 'update', 'delete', 'unchanged']);
    expect(keysInOrder(doc.changes[0])).toEqual(['address', 'kind', 'action', 'fields']);
    expect(keysInOrder(doc.changes[0].fields[0])).toEqual(['path', 'before', 'after', 'sensitive']);
    expect(keysInOrder(doc.warnings[0])).toEqual(['address', 'message']);
  });

  it('matches the contract example', () => {
    const plan = planOf([
      { address: 'blocklist/banned-words', kind: 'blocklist', action: 'create', fields: [field('/words', null, ['scam', 'spoiler'])] },
      { address: 'app', kind: 'app', action: 'update', fields: [field('/settings/sqs_secret', '(sensitive value)', '(sensitive value)', true)] },
    ]);
    expect(JSON.parse(renderJson(plan))).toEqual({
      format_version: '1',
      target: { base_url: 'https://chat.stream-io-api.com', api_key: 'key-abc123', app_name: 'acme-prod' },
      summary: { create: 1, update: 1, delete: 0, unchanged: 7 },
      changes: [
        { address: 'blocklist/banned-words', kind: 'blocklist', action: 'create', fields: [{ path: '/words', before: null, after: ['scam', 'spoiler'], sensitive: false }] },
        { address: 'app', kind: 'app', action: 'update', fields: [{ path: '/settings/sqs_secret', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] },
      ],
      warnings: [],
      live_fingerprint: `sha256:${'0'.repeat(64)}`,
    });
  });

  it('strips properties an object carries at runtime beyond the contract', () => {
    const extra = { ...SAMPLE, extra: 1, target: { ...SAMPLE.target, api_secret: 'nope' }, summary: { ...SAMPLE.summary, total: 3 } };
    extra.changes = SAMPLE.changes.map((c) => ({ ...c, desired: { fields: { x: 1 } }, live: {}, fields: c.fields.map((f) => ({ ...f, raw: 1 })) }));
    extra.warnings = SAMPLE.warnings.map((w) => ({ ...w, level: 'warn' }));
    expect(renderJson(extra)).toBe(renderJson(SAMPLE));
  });

  it('writes undefined before/after as null, so no key goes missing', () => {
    const plan = planOf([{ address: 'app', kind: 'app', action: 'update', fields: [field('/settings/x', undefined, 'y')] }]);
    expect(JSON.parse(renderJson(plan)).changes[0].fields[0]).toEqual({ path: '/settings/x', before: null, after: 'y', sensitive: false });
  });

  it('never prints a sensitive value, even when the plan was not masked', () => {
    const out = renderJson(LEAKY);
    expect(out).not.toContain(SECRET);
    const fields = JSON.parse(out).changes.flatMap((c: PlanDocument['changes'][number]) => c.fields);
    expect(fields[0]).toEqual({ path: '/firebase_credentials', before: null, after: '(sensitive value)', sensitive: true });
    for (const f of fields) expect(f.after).toBe('(sensitive value)');
  });

  it('renders an empty plan', () => {
    const doc = JSON.parse(renderJson(planOf([])));
    expect(doc.changes).toEqual([]);
    expect(doc.summary).toEqual({ create: 0, update: 0, delete: 0, unchanged: 7 });
  });
});

describe('parsePlanJson', () => {
  it.each([
    ['the sample plan', SAMPLE],
    ['an empty plan', planOf([])],
    ['a plan of an unnamed app', planOf([], { target: { base_url: 'http://127.0.0.1:4600', api_key: 'k', app_name: null } })],
  ])('round-trips %s', (_name, plan) => {
    const text = renderJson(plan);
    expect(parsePlanJson(text)).toEqual(plan);
    expect(renderJson(parsePlanJson(text))).toBe(text);
  });

  it('masks a sensitive value a hand-edited plan carries', () => {
    const doc = JSON.parse(renderJson(SAMPLE));
    doc.changes[1].fields[2].after = SECRET;
    const plan = parsePlanJson(JSON.stringify(doc));
    expect(JSON.stringify(plan)).not.toContain(SECRET);
  });

  it('drops unknown keys', () => {
    const doc = { ...JSON.parse(renderJson(SAMPLE)), comment: 'hi' };
    expect(parsePlanJson(JSON.stringify(doc))).toEqual(SAMPLE);
  });

  const edit = (mutate: (doc: Record<string, any>) => void) => {
    const doc = JSON.parse(renderJson(SAMPLE));
    mutate(doc);
    return JSON.stringify(doc);
  };

  it.each<[string, string, RegExp]>([
    ['text that is not JSON', '{"format_version": "1",', /^saved plan is not valid JSON: /],
    ['a JSON array', '[]', /^saved plan is not a JSON object$/],
    ['JSON null', 'null', /^saved plan is not a JSON object$/],
    ['a document without format_version', edit((d) => delete d.format_version), /no format_version: not a stream-sync plan/],
    ['another format_version', edit((d) => (d.format_version = '2')), /format_version "2"; this stream-sync reads format_version "1"/],
    ['a numeric format_version', edit((d) => (d.format_version = 1)), /format_version 1; this stream-sync reads/],
    ['a missing target', edit((d) => delete d.target), /^saved plan is invalid: target: is missing$/],
    ['a missing live_fingerprint', edit((d) => delete d.live_fingerprint), /live_fingerprint: is missing/],
    ['a fingerprint that is not sha256', edit((d) => (d.live_fingerprint = 'md5:x')), /live_fingerprint: .*sha256:/],
    ['an unknown action', edit((d) => (d.changes[0].action = 'replace')), /changes\[0\]\.action: Invalid option: expected one of "create"\|"update"\|"delete"/],
    ['a missing before', edit((d) => delete d.changes[1].fields[0].before), /changes\[1\]\.fields\[0\]\.before: is missing/],
    ['a non-boolean sensitive', edit((d) => (d.changes[1].fields[0].sensitive = 'no')), /changes\[1\]\.fields\[0\]\.sensitive: .*expected boolean/],
    ['an address outside its kind', edit((d) => (d.changes[0].address = 'role/x')), /changes\[0\]\.address: address does not belong to its kind/],
    ['a negative count', edit((d) => (d.summary.unchanged = -1)), /summary\.unchanged: /],
    ['a summary that disagrees with the changes', edit((d) => (d.summary.delete = 0)), /summary\.delete: is 0 but the plan lists 1 delete change/],
    ['a warning without message', edit((d) => delete d.warnings[0].message), /warnings\[0\]\.message: is missing/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parsePlanJson(text)).toThrow(message);
  });

  it('names every problem, up to 10, in one message', () => {
    const text = edit((d) => {
      delete d.target;
      d.changes[0].action = 'x';
    });
    expect(() => parsePlanJson(text)).toThrow(/target: is missing; changes\[0\]\.action: /);
    const many = edit((d) => (d.changes = Array.from({ length: 12 }, () => ({}))));
    expect(() => parsePlanJson(many)).toThrow(/; and \d+ more problem\(s\)$/);
  });
});
