import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnCli } from '../support/cli.js';

/* `npm start`, the newcomer's first command: the embedded emulator, config.example/stream.yaml, pretty logs, and
 * /healthz and /metrics on 127.0.0.1:9464, the port the image and the Kubernetes examples use. */

const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
const [build, run] = script.split(' && ');
/** The daemon's arguments in the start script (after `node dist/cli.js`). */
const args = run!.replace(/^node dist\/cli\.js\s+/, '').split(/\s+/);
const flag = (name: string) => args[args.indexOf(name) + 1];

describe('npm start', () => {
  it('builds, then runs watch against the embedded emulator with pretty logs and health and metrics on 127.0.0.1:9464', () => {
    expect(build).toBe('npm run build');
    expect(run).toMatch(/^node dist\/cli\.js watch /);
    expect(args).toContain('--emulator');
    expect(flag('-f')).toBe('config.example/stream.yaml');
    expect(flag('--log-format')).toBe('pretty');
    expect(flag('--listen')).toBe('127.0.0.1:9464');
  });

  it('is quoted exactly in the README, with the port and how to move it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Two commands'), readme.indexOf('\n## ', readme.indexOf('## Two commands') + 1));
    expect(section.replace(/`\n`|\n/g, ' ')).toContain(`\`${script}\``);
    expect(section).toContain('http://127.0.0.1:9464/healthz');
    expect(section).toContain('http://127.0.0.1:9464/metrics');
    expect(section).toContain('npm start -- --listen 127.0.0.1:');
  });

  it('serves /healthz and /metrics, prints the emulator as export lines, and takes `npm start -- --listen …` to move the port', { timeout: 60_000 }, async () => {
    // `npm start -- ARGS` appends ARGS to the script's command: a second --listen wins (port 0 here: any free one).
    const p = spawnCli([...args, '--listen', '127.0.0.1:0']);
    try {
      const [, url] = await p.waitFor(/serving \/healthz, \/readyz and \/metrics at (http:\/\/[\d.:]+)/);
      expect(new URL(url!).port).not.toBe('9464');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^stream_sync_reconcile_total\{.*result="success".*\} 1$/m);
      expect(p.stderr()).toMatch(/^ {2}export STREAM_BASE_URL=http:\/\/\S+ STREAM_API_KEY=\S+ STREAM_API_SECRET=\S+$/m);
      // Pretty, not JSON lines: one line per change, its fields inline.
      expect(p.stdout()).not.toMatch(/^\{"level"/m);
      expect(p.stdout()).toMatch(/^\[[\d:.]+\] INFO: create role\/support-agent \{.*"action":"create".*\}$/m);
      expect(p.stdout()).toMatch(/^\[[\d:.]+\] INFO: create moderation_config\/chat:support \{.*\}$/m);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exit, p.stdout() + p.stderr()).toBe(0);
  });
});
