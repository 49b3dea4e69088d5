import { mkdirSync, mkdtempSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSource, contentHash } from './source.js';

const VALID = 'version: 1\nroles:\n  - name: support-agent\n';

describe('contentHash', () => {
  it('changes with the content, not with a touch, and follows a ConfigMap symlink swap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hash-'));
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1/stream.yaml'), VALID);
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/stream.yaml', join(dir, 'stream.yaml'));
    const file = join(dir, 'stream.yaml');
    const first = contentHash(file);
    utimesSync(join(dir, '..v1/stream.yaml'), new Date(), new Date(Date.now() + 10_000));
    expect(contentHash(file)).toBe(first);
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2/stream.yaml'), `${VALID}  - name: support-lead\n`);
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    expect(contentHash(file)).not.toBe(first);
  });

  it('tells a missing file from an empty one, and covers every file of a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hash-'));
    const missing = contentHash(join(dir, 'stream.yaml'));
    writeFileSync(join(dir, 'stream.yaml'), '');
    expect(contentHash(join(dir, 'stream.yaml'))).not.toBe(missing);
    const before = contentHash(dir);
    writeFileSync(join(dir, 'more.yml'), 'version: 1\n');
    expect(contentHash(dir)).not.toBe(before);
  });
});

describe('ConfigSource', () => {
  it('keeps the last valid configuration while the file is invalid, reporting each new problem once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-'));
    const file = join(dir, 'stream.yaml');
    const source = new ConfigSource(file, { env: {}, cwd: dir, now: () => 1000 });
    writeFileSync(file, 'version: 1\nroles:\n');
    const none = source.load();
    expect(none).toMatchObject({ desired: undefined, newProblem: true, problem: { message: expect.stringMatching(/^stream\.yaml:2:\d+: roles has no value/) } });

    writeFileSync(file, VALID);
    const good = source.load();
    expect(good.problem).toBeUndefined();
    expect([...good.desired!.objects.keys()]).toEqual(['role/support-agent']);

    writeFileSync(file, '');
    const empty = source.load();
    expect(empty.desired).toBe(good.desired);
    expect(empty.newProblem).toBe(true);
    expect(source.load().newProblem).toBe(false);

    writeFileSync(file, 'version: 1\nroles: [{name: a}');
    expect(source.load()).toMatchObject({ desired: good.desired, newProblem: true });
    writeFileSync(file, `${VALID}  - name: support-lead\n`);
    expect([...source.load().desired!.objects.keys()]).toEqual(['role/support-agent', 'role/support-lead']);
    expect(source.problem).toBeUndefined();
  });

  it('reads ${file:…} secrets again on every load (a SIGHUP after a rotation must see the new value)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(join(dir, 'secret'), 'first\n');
    writeFileSync(file, 'version: 1\napp:\n  settings:\n    sqs_secret: ${file:secret}\n');
    const source = new ConfigSource(file, { env: {}, cwd: dir });
    const secret = () => (source.load().desired!.objects.get('app')!.fields.settings as { sqs_secret: string }).sqs_secret;
    expect(secret()).toBe('first');
    writeFileSync(join(dir, 'secret'), 'second\n');
    expect(secret()).toBe('second');
  });
});
