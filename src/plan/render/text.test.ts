import { describe, expect, it } from 'vitest';
import type { Change } from '../../core/model.js';
import { field, LEAKY, planOf, SAMPLE, SECRET } from './test-fixtures.js';
import { renderText } from './text.js';

const plain = (plan = SAMPLE, dryRun = false) => renderText(plan, { color: false, dryRun });
const lineOf = (out: string, needle: string) => out.split('\n').find((l) => l.includes(needle));

describe('renderText', () => {
  it('names the target app, base URL and API key in the header', () => {
    expect(plain().split('\n')[0]).toBe('Target: app "acme-prod" at https://chat.stream-io-api.com (api key key-abc123)');
    const unnamed = planOf([], { target: { base_url: 'http://127.0.0.1:4600', api_key: 'k', app_name: null } });
    expect(plain(unnamed).split('\n')[0]).toBe('Target: the app with api key k at http://127.0.0.1:4600 (its name is read only when the file has an app: section)');
  });

  it('lists what a delete takes away when the plan carries the live object\'s fields, secrets masked', () => {
    const plan = planOf([
      { address: 'blocklist/x', kind: 'blocklist', action: 'delete', fields: [field('/type', 'word', null), field('/words', ['scam', 'spam'], null), field('/key', SECRET, null, true)] },
    ]);
    const out = plain(plan);
    expect(out).toContain(['  - blocklist/x', '      - /type: "word"', '      - /words: ["scam", "spam"]', '      - /key: (sensitive value)'].join('\n'));
    expect(out).not.toContain(SECRET);
  });

  it('renders the whole sample plan in the documented layout', () => {
    expect(plain()).toBe(
      [
        'Target: app "acme-prod" at https://chat.stream-io-api.com (api key key-abc123)',
        '',
        '  + blocklist/banned-words',
        '      + /type: "word"',
        '      + /words: ["scam", "spoiler"]',
        '',
        '  ~ app',
        '      ~ /settings/webhook_url: "https://old.example" → "https://hooks.acme.example/stream"',
        '      ~ /settings/webhook_events: 2 items → 2 items (+ "call.created", - "user.deleted")',
        '      ~ /settings/sqs_secret: (sensitive value) → (sensitive value)',
        '      ~ /settings/grants: {} → {"support-agent": ["read-channel"]}',
        '      ~ /settings/sqs_url: "https://sqs.example/q" → null',
        '',
        '  - role/old-agent',
        '',
        'Warning: role/legacy-admin: not declared in the file, but protected by policy.protect: not deleted',
        '',
        'Plan: 1 to create, 1 to update, 1 to delete.',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, Change, string[], string[]]>([
    [
      'a create lists its fields with +',
      { address: 'role/support-agent', kind: 'role', action: 'create', fields: [field('/name', null, 'support-agent')] },
      ['  + role/support-agent', '      + /name: "support-agent"'],
      ['→'],
    ],
    [
      'an update shows before → after',
      { address: 'user/ann', kind: 'user', action: 'update', fields: [field('/role', 'user', 'admin'), field('/deactivated', false, true)] },
      ['  ~ user/ann', '      ~ /role: "user" → "admin"', '      ~ /deactivated: false → true'],
      [],
    ],
    [
      'a delete is its address, then the fields it carries as they were (what the delete takes away)',
      { address: 'blocklist/old', kind: 'blocklist', action: 'delete', fields: [field('/words', ['a'], null)] },
      ['  - blocklist/old', '      - /words: ["a"]'],
      ['null'],
    ],
    [
      'null shows as null on either side',
      { address: 'app', kind: 'app', action: 'update', fields: [field('/settings/webhook_url', null, 'https://x'), field('/settings/sqs_url', 'https://y', null)] },
      ['      ~ /settings/webhook_url: null → "https://x"', '      ~ /settings/sqs_url: "https://y" → null'],
      [],
    ],
    [
      'a sensitive value set for the first time shows null → (sensitive value)',
      { address: 'app', kind: 'app', action: 'update', fields: [field('/settings/sqs_secret', null, '(sensitive value)', true)] },
      ['      ~ /settings/sqs_secret: null → (sensitive value)'],
      ['"(sensitive value)"'],
    ],
    [
      'strings are quoted with JSON escapes',
      { address: 'push_template/firebase/fcm/message.new', kind: 'push_template', action: 'create', fields: [field('/template', null, '{"title": "{{ sender.name }}"}\nline')] },
      ['      + /template: "{\\"title\\": \\"{{ sender.name }}\\"}\\nline"'],
      [],
    ],
  ])('%s', (_name, change, present, absent) => {
    const out = plain(planOf([change]));
    const lines = out.split('\n');
    for (const line of present) expect(lines).toContain(line);
    for (const text of absent) expect(out).not.toContain(text);
  });

  describe('arrays', () => {
    const update = (before: unknown[], after: unknown[]) =>
      lineOf(plain(planOf([{ address: 'blocklist/b', kind: 'blocklist', action: 'update', fields: [field('/words', before, after)] }])), '/words');
    const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

    it.each<[string, unknown[], unknown[], string]>([
      ['counts plus the added and removed items', ['foo', 'spoiler'], ['scam', 'spoiler', 'x'], '2 items → 3 items (+ "scam", + "x", - "foo")'],
      ['one item in the singular', ['a'], [], '1 item → 0 items (- "a")'],
      ['a reordering of an ordered array', ['a', 'b'], ['b', 'a'], '2 items → 2 items (order changed)'],
      ['duplicates counted as a multiset', ['a', 'a'], ['a'], '2 items → 1 item (- "a")'],
      ['objects compared by value, not key order', [{ a: 1, b: 2 }], [{ b: 2, a: 1 }, { c: 3 }], '1 item → 2 items (+ {"c": 3})'],
    ])('an array update shows %s', (_name, before, after, expected) => {
      expect(update(before, after)).toBe(`      ~ /words: ${expected}`);
    });

    it.each<[string, unknown[], unknown[], RegExp, number, number]>([
      ['many on both sides: 5 of each', words(500), words(40, 'new'), /^500 items → 40 items \(\+ "new000", .*, - "w004", … and 530 more\)$/, 5, 5],
      ['few removed: they fill the cap', words(2), [...words(2), ...words(30, 'new')], /^2 items → 32 items \(\+ "new000", .*, \+ "new009", … and 20 more\)$/, 10, 0],
      ['few added: removals fill the rest', words(30), ['new000', ...words(30).slice(20)], /^30 items → 11 items \(\+ "new000", - "w000", .*, - "w008", … and 11 more\)$/, 1, 9],
    ])('caps the added and removed items at 10 with "… and N more": %s', (_name, before, after, pattern, nAdded, nRemoved) => {
      const change = update(before, after)!.replace('      ~ /words: ', '');
      expect(change).toMatch(pattern);
      expect(change.match(/\+ "/g) ?? []).toHaveLength(nAdded);
      expect(change.match(/- "/g) ?? []).toHaveLength(nRemoved);
    });

    it('shows a long created array as its count and its first 10 items', () => {
      const out = plain(planOf([{ address: 'blocklist/b', kind: 'blocklist', action: 'create', fields: [field('/words', null, words(25))] }]));
      expect(lineOf(out, '/words')).toBe(`      + /words: 25 items [${words(10).map((w) => `"${w}"`).join(', ')}, … and 15 more]`);
    });
  });

  describe('summary line', () => {
    it.each<[string, Change['action'][], string]>([
      ['counts each action', ['create', 'create', 'update', 'delete'], 'Plan: 2 to create, 1 to update, 1 to delete.'],
      ['prints zeros for absent actions', ['delete'], 'Plan: 0 to create, 0 to update, 1 to delete.'],
    ])('%s', (_name, actions, expected) => {
      const plan = planOf(actions.map((action, i) => ({ address: `role/r${i}`, kind: 'role', action, fields: [] })));
      const lines = plain(plan).trimEnd().split('\n');
      expect(lines.at(-1)).toBe(expected);
    });

    it('prints only "No changes." for an empty plan', () => {
      expect(plain(planOf([]))).toBe(
        'Target: app "acme-prod" at https://chat.stream-io-api.com (api key key-abc123)\n\nNo changes. The app matches the desired state.\n',
      );
    });

    it('keeps warnings on a plan without changes', () => {
      const out = plain(planOf([], { warnings: [{ address: 'blocklist/tmp-1', message: 'left alone' }] }));
      expect(out).toContain('Warning: blocklist/tmp-1: left alone\n\nNo changes. The app matches the desired state.\n');
    });

    it.each([
      ['with changes', SAMPLE, 'Plan: 1 to create, 1 to update, 1 to delete.\n(dry run: nothing was applied)\n'],
      ['without changes', planOf([]), 'No changes. The app matches the desired state.\n(dry run: nothing was applied)\n'],
    ])('says nothing was applied on a dry run %s', (_name, plan, ending) => {
      expect(plain(plan, true).endsWith(ending)).toBe(true);
      expect(plain(plan, false)).not.toContain('dry run');
    });
  });

  describe('colors', () => {
    it('prints no escape codes unless asked', () => {
      expect(plain()).not.toContain('\x1b');
    });

    it('colors + green, ~ yellow, - red and addresses bold when asked', () => {
      const out = renderText(SAMPLE, { color: true });
      expect(out).toContain('  \x1b[32m+\x1b[0m \x1b[1mblocklist/banned-words\x1b[0m');
      expect(out).toContain('  \x1b[33m~\x1b[0m \x1b[1mapp\x1b[0m');
      expect(out).toContain('  \x1b[31m-\x1b[0m \x1b[1mrole/old-agent\x1b[0m');
      expect(out).toContain('      \x1b[32m+\x1b[0m /type: "word"');
      // Without the codes, the colored output is the plain one.
      expect(out.replace(/\x1b\[\d+m/g, '')).toBe(plain());
    });
  });

  it('never prints a sensitive value, even when the plan was not masked', () => {
    const out = plain(LEAKY);
    expect(out).not.toContain(SECRET);
    expect(lineOf(out, '/firebase_credentials')).toBe('      + /firebase_credentials: (sensitive value)');
    expect(lineOf(out, '/settings/keys')).toBe('      ~ /settings/keys: (sensitive value) → (sensitive value)');
  });

  it('escapes control characters from names and values so they cannot drive the terminal', () => {
    const evil = planOf([
      { address: 'blocklist/x\x1b[2Jy', kind: 'blocklist', action: 'create', fields: [field('/words', null, ['a\x1b[31mb', 'c\u009bd', 'e\u202ef'])] },
    ], { warnings: [{ address: 'app', message: 'line1\nline2' }] });
    const out = plain(evil);
    expect(out).not.toMatch(/[\x1b\u009b\u202e]/);
    expect(out).toContain('  + blocklist/x\\u001b[2Jy');
    expect(out).toContain('Warning: app: line1\\nline2');
  });
});
