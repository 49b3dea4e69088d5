import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDesired } from '../../src/desired/load.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { ConfigError, formatIssue } from '../../src/core/errors.js';
import { runCli } from '../support/cli.js';

/**
 * Bad input at scale: fast-check generates malformed or schema-violating desired-state files, each broken in one
 * known way on top of a valid document. Every one must be refused with located messages (FILE:LINE:COL), crash
 * nothing, and — through the CLI — send no request at all. The seed is fixed so CI is reproducible; set
 * FC_SEED to explore other inputs.
 */
const SEED = Number(process.env.FC_SEED ?? 20_250_601);
const RUNS = 1_200;

type Doc = Record<string, any>;
interface BadFile {
  category: string;
  content: string | Buffer;
}

// ---- a valid document to break -------------------------------------------------------------------------------

const ident = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const validDoc: fc.Arbitrary<Doc> = fc
  .record({
    roles: fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    lists: fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    words: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,10}$/), { minLength: 1, maxLength: 4 }),
    users: fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    groups: fc.uniqueArray(ident, { minLength: 1, maxLength: 2 }),
    cdn: fc.integer({ min: 14_400, max: 1_209_600 }),
    maxDeletes: fc.nat(20),
  })
  .map((v) => ({
    version: 1,
    app: { settings: { webhook_url: 'https://hooks.acme.example/stream', webhook_events: ['message.new'], cdn_expiration_seconds: v.cdn } },
    roles: v.roles.map((name) => ({ name })),
    blocklists: v.lists.map((name) => ({ name, type: 'word', words: v.words })),
    users: v.users.map((id, i) => ({ id, name: `User ${i}`, role: 'user', privacy_settings: { typing_indicators: { enabled: true } }, custom: { deep: 'PLACEHOLDER' } })),
    user_groups: v.groups.map((id) => ({ id, name: id.toUpperCase(), members: [v.users[0]] })),
    policy: { prune: ['blocklists'], max_deletes: v.maxDeletes },
  }));

/** A valid document with one change applied to a copy of it. */
const mutated = (change: fc.Arbitrary<(d: Doc) => void>) =>
  fc.tuple(validDoc, change).map(([doc, fn]) => {
    const copy = structuredClone(doc);
    fn(copy);
    return stringify(copy);
  });

const tagged = (category: string, content: fc.Arbitrary<string | Buffer>): fc.Arbitrary<BadFile> => content.map((c) => ({ category, content: c }));

const anyScalarOrCollection = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { minKeys: 1, maxKeys: 3 }));
const notAList = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { minKeys: 1, maxKeys: 3 }));
const nonInteger = fc.double({ min: 15_000, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x));

// ---- the ways to break it -------------------------------------------------------------------------------------

const wrongType = mutated(
  fc.oneof(
    fc.oneof(fc.constant(2), fc.constant('1'), fc.constant(0), fc.boolean(), fc.constant([1])).map((v) => (d: Doc) => void (d.version = v)),
    notAString.map((v) => (d: Doc) => void (d.roles[0].name = v)),
    fc.oneof(notAList, fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.constant([['nested']])).map((v) => (d: Doc) => void (d.blocklists[0].words = v)),
    fc.stringMatching(/^[A-Z][a-z]{1,8}$/).map((v) => (d: Doc) => void (d.blocklists[0].type = v)),
    fc.oneof(fc.string(), fc.integer()).map((v) => (d: Doc) => void (d.users[0].invisible = v)),
    notAList.map((v) => (d: Doc) => void (d.users[0].teams = v)),
    fc.oneof(fc.string(), fc.array(fc.integer(), { minLength: 1, maxLength: 3 })).map((v) => (d: Doc) => void (d.user_groups[0].members = v)),
    fc.oneof(fc.string(), nonInteger).map((v) => (d: Doc) => void (d.app.settings.cdn_expiration_seconds = v)),
    notAList.map((v) => (d: Doc) => void (d.app.settings.webhook_events = v)),
    fc.oneof(fc.integer({ max: -1 }), nonInteger, fc.string()).map((v) => (d: Doc) => void (d.policy.max_deletes = v)),
    fc.oneof(fc.constant(['widgets']), fc.constant('blocklists'), fc.constant([1])).map((v) => (d: Doc) => void (d.policy.prune = v)),
    fc.oneof(fc.constant([]), fc.string(), fc.integer()).map((v) => (d: Doc) => void (d.app = v)),
    fc.oneof(fc.string(), fc.integer(), fc.constant({ name: 'a' })).map((v) => (d: Doc) => void (d.roles = v)),
    fc.constantFrom('roles', 'blocklists', 'users', 'user_groups').map((s) => (d: Doc) => void (d[s] = null)),
  ),
);

/** Keys no schema knows: every known key is lower snake case, so anything else, and a few near misses. */
const unknownKeyName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !/^[a-z0-9_]+$/.test(k)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((k) => !/^[a-z0-9_]+$/.test(k)),
  fc.constantFrom('colour', 'nmae', 'word', 'member', 'Name', 'prune_all', '__proto__', 'constructor', '<<'),
);
const unknownKey = mutated(
  fc.tuple(
    fc.constantFrom<(d: Doc) => Doc>(
      (d) => d,
      (d) => d.app,
      (d) => d.app.settings,
      (d) => d.roles[0],
      (d) => d.blocklists[0],
      (d) => d.users[0],
      (d) => d.users[0].privacy_settings,
      (d) => d.user_groups[0],
      (d) => d.policy,
    ),
    unknownKeyName,
    anyScalarOrCollection,
  ).map(([target, key, value]) => (d: Doc) => {
    Object.defineProperty(target(d), key, { value, enumerable: true, writable: true, configurable: true });
  }),
);

const hugeValue = mutated(
  fc.oneof(
    fc.integer({ min: 65, max: 3_000 }).map((n) => (d: Doc) => void (d.roles[0].name = 'r'.repeat(n))),
    fc.integer({ min: 256, max: 5_000 }).map((n) => (d: Doc) => void (d.blocklists[0].name = 'b'.repeat(n))),
    fc.integer({ min: 41, max: 2_000 }).map((n) => (d: Doc) => void (d.blocklists[0].words = ['w'.repeat(n)])),
    fc.integer({ min: 256, max: 3_000 }).map((n) => (d: Doc) => void (d.users[0].id = 'u'.repeat(n))),
    fc.integer({ min: 1_025, max: 20_000 }).map((n) => (d: Doc) => void (d.user_groups[0].description = 'd'.repeat(n))),
    fc.oneof(fc.integer({ min: 1_209_601 }), fc.integer({ min: -1e9, max: 14_399 })).map((n) => (d: Doc) => void (d.app.settings.cdn_expiration_seconds = n)),
    fc.integer({ min: 86_401 }).map((n) => (d: Doc) => void (d.app.settings.reminders_interval = n)),
    fc.oneof(fc.constant(2 ** 53 + 2), fc.constant(1e300), fc.constant(Number.POSITIVE_INFINITY)).map((n) => (d: Doc) => void (d.policy.max_deletes = n)),
    fc.integer({ min: 11, max: 60 }).map((n) => (d: Doc) => void (d.app.settings.user_search_disallowed_roles = Array.from({ length: n }, (_, i) => `r${i}`))),
    // Rare on purpose: the largest documents of the run.
    fc.integer({ min: 10_001, max: 10_050 }).map((n) => (d: Doc) => void (d.blocklists[0].words = Array.from({ length: n }, (_, i) => `w${i}`))),
  ),
);

/** Nesting past the limit where the schema would accept any depth (custom data), as flow or block YAML. */
const deepNesting = fc
  .tuple(validDoc, fc.integer({ min: 30, max: 3_000 }), fc.constantFrom('flow-list', 'flow-map', 'block'))
  .map(([doc, depth, style]) => {
    const text = stringify(doc);
    return text.replace(/^(\s*)deep: PLACEHOLDER$/m, (_m, indent: string) => {
      if (style === 'flow-list') return `${indent}deep: ${'['.repeat(depth)}${']'.repeat(depth)}`;
      if (style === 'flow-map') return `${indent}deep: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
      const lines = [`${indent}deep:`];
      for (let i = 1; i <= Math.min(depth, 400); i++) lines.push(`${indent}${' '.repeat(i)}k:`);
      lines.push(`${indent}${' '.repeat(Math.min(depth, 400) + 1)}v: 1`);
      return lines.join('\n');
    });
  });

const controlCodes = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(0x0b, 0x0c), fc.integer({ min: 0x0e, max: 0x1f }));
const escapedControls = fc.oneof(controlCodes, fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
const controlChars = fc.oneof(
  // Raw in the file, anywhere.
  fc.tuple(validDoc, controlCodes, fc.nat()).map(([doc, code, at]) => {
    const text = stringify(doc);
    const i = at % (text.length + 1);
    return text.slice(0, i) + String.fromCharCode(code) + text.slice(i);
  }),
  // Escaped in a quoted name: valid YAML, refused where it would become an address.
  mutated(
    fc.tuple(escapedControls, fc.constantFrom('role', 'list', 'user', 'group')).map(([c, where]) => (d: Doc) => {
      if (where === 'role') d.roles[0].name += c;
      else if (where === 'list') d.blocklists[0].name = `a${c}b`;
      else if (where === 'user') d.users[0].id += c;
      else d.user_groups[0].id += c;
    }),
  ),
  // Unicode where an id allows only letters, digits, @, _ and -; a slash in a name.
  mutated(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((s) => !/^[@\w-]+$/.test(s)).map((s) => (d: Doc) => void (d.users[0].id = `u${s}`))),
  mutated(fc.constantFrom('a/b', '/', '../etc').map((s) => (d: Doc) => void (d.roles[0].name = s))),
);

/** Bytes that are not UTF-8 (a Latin-1 file, a truncated sequence, a surrogate, an overlong form). */
const badUtf8 = fc
  .tuple(validDoc, fc.constantFrom([0xff], [0xfe, 0xff], [0xc3, 0x28], [0xe9], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]), fc.nat())
  .map(([doc, bytes, at]) => {
    const buf = Buffer.from(stringify(doc), 'utf8');
    const i = at % (buf.length + 1);
    return Buffer.concat([buf.subarray(0, i), Buffer.from(bytes), buf.subarray(i)]);
  });

/** Anchors whose aliases multiply (a billion-laughs) inside custom data, where any shape would be valid. */
const aliasBomb = fc
  .tuple(validDoc, fc.oneof(fc.record({ fan: fc.integer({ min: 3, max: 10 }), levels: fc.integer({ min: 5, max: 9 }) }), fc.record({ fan: fc.integer({ min: 100, max: 600 }), levels: fc.constant(2) })))
  .map(([doc, { fan, levels }]) =>
    stringify(doc).replace(/^(\s*)deep: PLACEHOLDER$/m, (_m, indent: string) => {
      const lines = [`${indent}l0: &l0 [${Array(Math.min(fan, 10)).fill('lol').join(', ')}]`];
      for (let i = 1; i < levels; i++) lines.push(`${indent}l${i}: &l${i} [${Array(fan).fill(`*l${i - 1}`).join(', ')}]`);
      return lines.join('\n');
    }),
  );

const multiDoc = fc
  .tuple(validDoc, validDoc, fc.constantFrom('---\n', '--- \n', '...\n---\n', '---\n# nothing\n'))
  .map(([a, b, sep]) => (sep.includes('nothing') ? `${stringify(a)}${sep}` : `${stringify(a)}${sep}${stringify(b)}`));

const duplicates = fc.oneof(
  mutated(
    fc.constantFrom<(d: Doc) => void>(
      (d) => d.roles.push({ ...d.roles[0] }),
      (d) => d.blocklists.push({ ...d.blocklists[0], words: ['other'] }),
      (d) => d.users.push({ id: d.users[0].id }),
      (d) => d.user_groups.push({ ...d.user_groups[0], name: 'Again' }),
    ),
  ),
  // The same key twice in one mapping.
  fc.tuple(validDoc, fc.constantFrom('version: 1', 'roles: []', 'policy: {}')).map(([d, line]) => `${stringify(d)}${line}\n`),
  validDoc.map((d) => stringify(d).replace(/^( {2}- name: (\S+))$/m, '$1\n    name: $2')),
);

/** Lines that break YAML's syntax, inserted between two lines of a valid document. */
const syntaxError = fc
  .tuple(
    validDoc,
    fc.oneof(
      fc.constantFrom('key: [unclosed', 'key: {a: 1', 'key: "unterminated', "key: 'unterminated", '\tversion: 1', ': no key', 'key: value: nested', '@reserved: x', '`tick: x', 'key: *undefined_alias', '- [a, b]]', '  bad:\n indent: x', 'key: |\n  text\n bad', '%YAML 9.9', 'key: !!int not-a-number'),
      fc.string({ maxLength: 12 }).map((s) => `zz${JSON.stringify(s).slice(1, -1)}: [`),
    ),
    fc.nat(),
  )
  .map(([doc, line, at]) => {
    const lines = stringify(doc).split('\n');
    const i = at % lines.length;
    return [...lines.slice(0, i), line, ...lines.slice(i)].join('\n');
  });

const emptyOrNotAMapping = fc.constantFrom('', '\n\n', '   \n', '# only a comment\n', '---\n', '---\n...\n', '~\n', 'null\n', '[1, 2]\n', '"a string"\n', '42\n', '- version: 1\n', 'true\n', '\uFEFF\n');

const schemaViolation = mutated(
  fc.constantFrom<(d: Doc) => void>(
    (d) => delete d.version,
    (d) => delete d.blocklists[0].words,
    (d) => delete d.user_groups[0].name,
    (d) => delete d.roles[0].name,
    (d) => void (d.external_storages = [{ name: 'rec', storage_type: 's3' }]),
    (d) => void (d.external_storages = [{ name: 'rec', storage_type: 's3', bucket: 'b', gcs_credentials: 'x' }]),
    (d) => void (d.policy.protect = ['Not An Address']),
    (d) => void (d.policy.ignore_fields = { app: ['settings/no-leading-slash'] }),
    // Offline references: a pruned kind must declare what is referred to.
    (d) => {
      d.policy.prune = ['roles'];
      d.users[0].role = 'ghost-role';
    },
    (d) => void (d.users[0].custom = { name: 'reserved' }),
    (d) => void (d.push_providers = [{ type: 'firebase', name: 'fcm', firebase_credentials: 'not json' }]),
    (d) => void (d.push_providers = [{ type: 'apn', name: 'apn', firebase_host: 'x' }]),
  ),
);

const badFile: fc.Arbitrary<BadFile> = fc.oneof(
  tagged('wrong type', wrongType),
  tagged('unknown key', unknownKey),
  tagged('huge value', hugeValue),
  tagged('deep nesting', deepNesting),
  tagged('unicode and control characters', controlChars),
  tagged('not UTF-8', badUtf8),
  tagged('alias bomb', aliasBomb),
  tagged('several documents', multiDoc),
  tagged('duplicate address or key', duplicates),
  tagged('syntax error', syntaxError),
  tagged('empty or not a mapping', emptyOrNotAMapping),
  tagged('schema violation', schemaViolation),
);

const LOCATED = /^doc\.yaml:\d+:\d+: \S/;

/** Loads `content` as the CLI would; returns the ConfigError's messages, or fails the test. */
function refusal(dir: string, content: string | Buffer): string[] {
  const file = join(dir, 'doc.yaml');
  writeFileSync(file, content);
  let error: unknown;
  try {
    loadDesired(file, { env: {}, cwd: dir });
  } catch (err) {
    error = err;
  }
  expect(error, 'the document was accepted').toBeInstanceOf(ConfigError);
  const issues = (error as ConfigError).issues;
  expect(issues.length).toBeGreaterThan(0);
  const lines = (typeof content === 'string' ? content : content.toString('latin1')).split('\n').length;
  for (const issue of issues) {
    expect(issue.location, `no location: ${issue.message}`).toBeDefined();
    expect(issue.location!.line).toBeGreaterThanOrEqual(1);
    expect(issue.location!.line).toBeLessThanOrEqual(lines + 1);
    expect(issue.location!.col).toBeGreaterThanOrEqual(1);
    expect(formatIssue(issue)).toMatch(LOCATED);
  }
  return issues.map(formatIssue);
}

describe('bad input at scale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));

  it('the documents the generators break are valid to begin with', () => {
    for (const doc of fc.sample(validDoc, { seed: SEED, numRuns: 50 })) {
      const file = join(dir, 'valid.yaml');
      writeFileSync(file, stringify(doc).replace('deep: PLACEHOLDER', 'deep: [a, {b: 1}]'));
      expect(() => loadDesired(file, { env: {}, cwd: dir })).not.toThrow();
    }
  });

  it(`refuses ${RUNS} generated bad files, each with located messages and no crash`, () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(badFile, ({ category, content }) => {
        seen.set(category, (seen.get(category) ?? 0) + 1);
        refusal(dir, content);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`[bad input] ${RUNS} files refused: ${[...seen].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    // Every family was exercised, not only the cheap ones.
    expect(seen.size).toBe(12);
    for (const [category, n] of seen) expect(n, category).toBeGreaterThanOrEqual(30);
  });

  // The refusals the generators found missing (each was accepted before, silently changed or dropped, or crashed
  // the parser's stack), pinned with their exact locations.
  it.each([
    ['a raw control character', Buffer.from('version: 1\nroles:\n  - name: a\u0001b\n'), 'doc.yaml:3:12: the file holds the control character U+0001'],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('version: 1\nroles:\n  - name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), 'doc.yaml:3:14: the file is not valid UTF-8 text'],
    ['a __proto__ key', 'version: 1\nusers:\n  - id: a\n    custom:\n      __proto__: {admin: true}\n', 'doc.yaml:5:7: the key "__proto__" is not allowed'],
    ['nesting past the limit', `version: 1\nusers:\n  - id: a\n    custom:\n      deep: ${'['.repeat(40)}${']'.repeat(40)}\n`, 'doc.yaml:5:41: the document is nested too deeply'],
    ['nesting past the parser\'s stack', `version: 1\nroles: ${'['.repeat(50_000)}\n`, ': the document is nested too deeply'],
    ['DEL in a name', 'version: 1\nroles:\n  - name: "a\\x7Fb"\n', 'doc.yaml:3:11: roles[0].name: a role name must not contain "/" or control characters'],
    ['a C1 control in a name', 'version: 1\nblocklists:\n  - name: "a\\x9Bb"\n    words: [x]\n', 'doc.yaml:3:11: blocklists[0].name: a block list name must not contain "/" or control characters'],
  ])('refuses %s, located', (_name, content, expected) => {
    const messages = refusal(dir, content);
    expect(messages.some((m) => m.includes(expected)), messages.join('\n')).toBe(true);
  });

  describe('through the CLI, a sample of them', () => {
    let emu: RunningEmulator;
    const env = () => ({ STREAM_API_KEY: emu.apiKey, STREAM_API_SECRET: emu.apiSecret, STREAM_BASE_URL: emu.url });
    beforeAll(async () => {
      emu = await startEmulator({ port: 0, rateLimits: 'off' });
    });
    afterAll(async () => {
      await emu.close();
    });

    it('validate and apply exit 1 with located messages, and apply sends no request at all', async () => {
      // Two of each family, then more at random: 30 files.
      const families = fc.sample(badFile, { seed: SEED + 1, numRuns: 600 });
      const sample: BadFile[] = [];
      for (const f of families) if (sample.filter((s) => s.category === f.category).length < 2) sample.push(f);
      for (const f of families) if (sample.length < 30 && !sample.includes(f)) sample.push(f);
      expect(sample).toHaveLength(30);

      const before = emu.requests.length;
      const cwd = mkdtempSync(join(tmpdir(), 'bad-cli-'));
      const check = async (f: BadFile, i: number) => {
        const file = join(cwd, `bad-${i}.yaml`);
        writeFileSync(file, f.content);
        for (const args of [['validate', '-f', file], ['apply', '-f', file]]) {
          const r = await runCli(args, env());
          expect(r.code, `${f.category}: ${args[0]} exit code\n${r.stderr}`).toBe(1);
          expect(r.stderr, f.category).toMatch(new RegExp(`^\\S*bad-${i}\\.yaml:\\d+:\\d+: \\S`, 'm'));
          expect(r.stderr).toMatch(/nothing was changed/);
          expect(r.stdout).toBe('');
        }
      };
      // A few at a time: each is a process start.
      for (let i = 0; i < sample.length; i += 6) await Promise.all(sample.slice(i, i + 6).map((f, j) => check(f, i + j)));
      expect(emu.requests.slice(before)).toEqual([]);
    }, 60_000);
  });
});
