import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

/** The README's example is real: its file, planned against the emulator as the README says, prints the README's plan. */
describe("the README's realistic example", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A realistic example');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('prints the plan the README shows', async () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const shown = /```text\n\$ ([^\n]+)\n([\s\S]*?)```/.exec(section)!;
    expect(shown[1]).toBe('STREAM_SQS_SECRET=… node dist/cli.js plan --emulator -f stream.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'readme-example-'));
    writeFileSync(join(dir, 'stream.yaml'), yaml);
    const r = await runCli(['plan', '--emulator', '-f', join(dir, 'stream.yaml')], { STREAM_SQS_SECRET: 'readme-secret' });
    expect(r.code, r.stderr).toBe(0);
    const port = (text: string) => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').trimEnd();
    expect(port(r.stdout)).toBe(port(shown[2]!));
    expect(r.stdout).not.toContain('readme-secret');
  });
});
