import { describe, expect, it } from 'vitest';
import type { Change } from '../../core/model.js';
import { esc, renderMarkdown } from './markdown.js';
import { field, LEAKY, planOf, SAMPLE, SECRET } from './test-fixtures.js';

/** A plan of `n` block list creates, each with a few fields, far over 65,000 characters rendered. */
const huge = (n: number, kind = 'blocklist') =>
  planOf(
    Array.from({ length: n }, (_, i): Change => ({
      address: `${kind}/list-${String(i).padStart(5, '0')}`,
      kind,
      action: 'create',
      fields: [field('/type', null, 'word'), field('/words', null, ['alpha', 'beta', 'gamma'])],
    })),
  );

const count = (s: string, needle: string) => s.split(needle).length - 1;

describe('renderMarkdown', () => {
  it('renders title, summary table, target, one <details> per kind, then warnings', () => {
    const out = renderMarkdown(SAMPLE);
    const lines = out.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      '### stream-sync plan for <code>acme-prod</code>',
      '',
      '| create | update | delete | unchanged |',
      '|---:|---:|---:|---:|',
      '| 1 | 1 | 1 | 7 |',
      '',
      'Target: <code>https://chat.stream-io-api.com</code>, api key <code>key-abc123</code>',
    ]);
    expect(lines.filter((l) => l.startsWith('<details>'))).toEqual([
      '<details><summary>blocklist (1 change)</summary>',
      '<details><summary>app (1 change)</summary>',
      '<details><summary>role (1 change)</summary>',
    ]);
    expect(count(out, '</details>')).toBe(3);
    expect(out.indexOf('#### Warnings')).toBeGreaterThan(out.lastIndexOf('</details>'));
    expect(out).toContain('- <code>role/legacy-admin</code>: not declared in the file, but protected by policy.protect: not deleted');
    expect(out.endsWith('\n')).toBe(true);
  });

  it.each<[string, string]>([
    ['a create row names the action, address, field and new value', '| + create | <code>blocklist/banned-words</code> | <code>/type</code> | <code>"word"</code> |'],
    ['further fields of a change leave action and address blank', '|  |  | <code>/words</code> | <code>&#91;"scam", "spoiler"&#93;</code> |'],
    ['an update row shows before → after', '| ~ update | <code>app</code> | <code>/settings/webhook&#95;url</code> | <code>"https://old.example" → "https://hooks.acme.example/stream"</code> |'],
    ['an array update shows counts and the added and removed items', '| <code>/settings/webhook&#95;events</code> | <code>2 items → 2 items (+ "call.created", - "user.deleted")</code> |'],
    ['a sensitive value shows as (sensitive value)', '<code>(sensitive value) → (sensitive value)</code>'],
    ['a delete row is its address alone', '| - delete | <code>role/old-agent</code> | | |'],
  ])('%s', (_name, expected) => {
    expect(renderMarkdown(SAMPLE)).toContain(expected);
  });

  it('lists what a delete takes away when the plan carries the live object\'s fields', () => {
    const out = renderMarkdown(planOf([{ address: 'blocklist/x', kind: 'blocklist', action: 'delete', fields: [field('/words', ['scam', 'spam'], null)] }]));
    expect(out).toContain('| - delete | <code>blocklist/x</code> | <code>/words</code> | <code>&#91;"scam", "spam"&#93;</code> |');
  });

  it('names an app of unknown name by its API key, and says why the name is unknown', () => {
    const out = renderMarkdown(planOf([], { target: { base_url: 'http://127.0.0.1:4600', api_key: 'k', app_name: null } }));
    expect(out).toContain('### stream-sync plan for the app with api key <code>k</code>');
    expect(out).toContain('(its name is read only when the file has an app: section)');
  });

  it('groups the changes of a kind into one block, even when the plan interleaves kinds', () => {
    const plan = planOf([
      { address: 'role/a', kind: 'role', action: 'create', fields: [] },
      { address: 'app', kind: 'app', action: 'update', fields: [field('/x', 1, 2)] },
      { address: 'role/b', kind: 'role', action: 'delete', fields: [] },
    ]);
    const out = renderMarkdown(plan);
    expect(out).toContain('<summary>role (2 changes)</summary>');
    expect(out.indexOf('role/b')).toBeLessThan(out.indexOf('<summary>app'));
  });

  it('renders an empty plan as the summary and "No changes."', () => {
    const out = renderMarkdown(planOf([]));
    expect(out).toContain('| 0 | 0 | 0 | 7 |');
    expect(out).toContain('\n\nNo changes. The app matches the desired state.\n');
    expect(out).not.toContain('<details>');
    expect(out).not.toContain('Warnings');
  });

  describe('escaping', () => {
    it.each<[string, string, string]>([
      ['a table pipe', 'a|b', 'a&#124;b'],
      ['a closing details tag', '</details><script>x</script>', '&lt;/details&gt;&lt;script&gt;x&lt;/script&gt;'],
      ['backticks', '```js', '&#96;&#96;&#96;js'],
      ['a newline', 'a\nb', 'a&#92;nb'],
      ['an entity', '&lt;', '&amp;lt;'],
      ['a link', '[x](http://evil)', '&#91;x&#93;(http://evil)'],
      ['emphasis', '*a* _b_ ~c~', '&#42;a&#42; &#95;b&#95; &#126;c&#126;'],
      ['a mention and an issue reference', '@octocat #12', '&#64;octocat &#35;12'],
    ])('makes %s inert', (_name, raw, escaped) => {
      expect(esc(raw)).toBe(escaped);
    });

    it('keeps hostile values, addresses and messages from breaking the table or the blocks', () => {
      const hostile = '| x |</details></summary><img src=x onerror=alert(1)>```\n| injected | row |';
      const plan = planOf(
        [{ address: `blocklist/${hostile}`, kind: 'blocklist', action: 'create', fields: [field('/words', null, [hostile]), field(`/${hostile}`, null, hostile)] }],
        { warnings: [{ address: hostile, message: hostile }] },
      );
      const out = renderMarkdown(plan);
      expect(count(out, '</details>')).toBe(1);
      expect(count(out, '<details>')).toBe(1);
      expect(out).not.toContain('<img');
      expect(out).not.toContain('`');
      expect(out).not.toContain('| injected');
      // Every table row keeps its five pipes: nothing from the values adds a column.
      for (const row of out.split('\n').filter((l) => l.startsWith('| +') || l.startsWith('|  |'))) expect(count(row, '|')).toBe(5);
    });
  });

  it('never prints a sensitive value, even when the plan was not masked', () => {
    const out = renderMarkdown(LEAKY);
    expect(out).not.toContain(SECRET);
    expect(out).toContain('| <code>/firebase&#95;credentials</code> | <code>(sensitive value)</code> |');
  });

  it('cuts long strings in cells', () => {
    const plan = planOf([{ address: 'app', kind: 'app', action: 'update', fields: [field('/x', null, 'y'.repeat(5_000))] }]);
    const out = renderMarkdown(plan);
    expect(out).toContain(`"${'y'.repeat(200)}… (5000 chars)"`);
    expect(out.length).toBeLessThan(1_000);
  });

  describe('size cap', () => {
    it('keeps a 5,000-change plan under 65,000 characters and says what was cut', () => {
      const out = renderMarkdown(huge(5_000));
      expect(out.length).toBeLessThanOrEqual(65_000);
      expect(out.length).toBeGreaterThan(60_000);
      const shown = count(out, '| + create |');
      expect(shown).toBeGreaterThan(100);
      expect(out).toContain(`<summary>blocklist (5000 changes, first ${shown} shown)</summary>`);
      expect(out).toContain(`> **… ${5_000 - shown} changes not shown; run \`stream-sync plan --format json\` for the full plan.** Not shown: blocklist ${5_000 - shown} of 5000.`);
      // The changes shown are the first ones, in plan order, and the block is closed.
      expect(out).toContain('blocklist/list-00000');
      expect(out).not.toContain('blocklist/list-04999');
      expect(count(out, '<details>')).toBe(count(out, '</details>'));
      // The head is never cut.
      expect(out).toContain('| 5000 | 0 | 0 | 7 |');
    });

    it('drops whole kinds from the end and names them in the notice', () => {
      const plan = huge(300, 'role');
      plan.changes = [...plan.changes, ...huge(300, 'user').changes];
      const out = renderMarkdown(plan, { maxChars: 20_000 });
      expect(out.length).toBeLessThanOrEqual(20_000);
      expect(out).not.toContain('<summary>user');
      expect(out).toMatch(/Not shown: role \d+ of 300, user 300 of 300\.$/m);
    });

    it('keeps the warnings, within their share, after a cut', () => {
      const plan = huge(2_000);
      plan.warnings = Array.from({ length: 2_000 }, (_, i) => ({ address: `blocklist/tmp-${i}`, message: 'left alone' }));
      const out = renderMarkdown(plan, { maxChars: 40_000 });
      expect(out.length).toBeLessThanOrEqual(40_000);
      expect(out).toContain('#### Warnings');
      expect(out).toMatch(/- \*\*… \d+ more warnings not shown\*\*; run `stream-sync plan --format json` for all of them\.\n$/);
      expect(out).toContain('changes not shown');
    });

    it.each([1_000, 5_000, 12_345, 65_000])('never exceeds maxChars = %i', (maxChars) => {
      const out = renderMarkdown(huge(800), { maxChars });
      expect(out.length).toBeLessThanOrEqual(maxChars);
    });

    it('prints a plan that fits whole, without a notice', () => {
      const out = renderMarkdown(huge(50));
      expect(count(out, '| + create |')).toBe(50);
      expect(out).not.toContain('not shown');
    });
  });
});
