import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { copyParts, execForm, type Instruction, parseDockerfile, type Stage } from './dockerfile.js';

/*
 * No Docker engine runs here, so this replays the image's stages in a temporary directory, each stage's WORKDIR
 * a directory of its own: the build stage compiles the sources it copies (its dev dependencies are the ones
 * installed in this checkout), the deps stage runs its own `npm ci` (a real production install from the
 * lockfile), and the runtime stage is assembled from exactly what the Dockerfile copies. Then the image's
 * entrypoint and command run, `/healthz` answers, and the HEALTHCHECK command passes.
 */

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
const only = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op);
const last = (s: Stage, op: string) => only(s, op).at(-1)!;

describe('Dockerfile', () => {
  it('is multi-stage with a Node 22 slim or distroless runtime that runs as a non-root user', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    expect(runtime.image).toMatch(/^(node:22[-.\w]*-slim|gcr\.io\/distroless\/nodejs22)/);
    const user = last(runtime, 'USER').rest;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // The runtime carries no compiler and no dev dependency: only dist/ from the build stage.
    expect(only(runtime, 'COPY').filter((c) => c.flags.from).map((c) => [c.flags.from, copyParts(c).sources[0]])).toEqual([
      ['deps', '/app/node_modules'],
      ['build', '/src/dist'],
    ]);
    expect(only(stage('deps'), 'RUN').map((r) => r.rest).join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('has the entrypoint, default command and health check the docs promise', () => {
    expect(execForm(last(runtime, 'ENTRYPOINT').rest)).toEqual(['stream-sync']);
    expect(execForm(last(runtime, 'CMD').rest)).toEqual(['watch', '-f', '/config/stream.yaml', '--listen', '0.0.0.0:9464']);
    const health = last(runtime, 'HEALTHCHECK');
    expect(health.rest).toMatch(/^CMD \[/);
    expect(health.rest).toContain('http://127.0.0.1:9464/healthz');
    expect(only(runtime, 'EXPOSE').map((e) => e.rest)).toEqual(['9464']);
  });

  it('copies only what .dockerignore lets into the build context', () => {
    const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    const sources = dockerfile.stages.flatMap((s) => only(s, 'COPY').filter((c) => !c.flags.from).flatMap((c) => copyParts(c).sources));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) expect(allowed, `${src} is copied but excluded by .dockerignore`).toContain(src.replace(/\/$/, ''));
  });
});

describe('the image, built and run without Docker', () => {
  const work = mkdtempSync(join(tmpdir(), 'image-'));
  /** Each stage's WORKDIR, as a directory of its own. */
  const roots = new Map<string, { root: string; workdir: string }>();

  /** Where a path of a stage's filesystem lives here (only paths under the stage's WORKDIR exist). */
  const hostPath = (stageName: string, p: string) => {
    const r = roots.get(stageName)!;
    const abs = isAbsolute(p) ? p : posix.join(r.workdir, p);
    const rel = posix.relative(r.workdir, abs);
    if (rel.startsWith('..')) throw new Error(`${stageName}: ${p} is outside the stage's WORKDIR ${r.workdir}`);
    return join(r.root, rel);
  };

  function copy(stageName: string, i: Instruction) {
    const { sources, dest } = copyParts(i);
    for (const src of sources) {
      const from = i.flags.from ? hostPath(i.flags.from, src) : join(ROOT, src);
      const target = dest.endsWith('/') || sources.length > 1 ? join(hostPath(stageName, dest), posix.basename(src)) : hostPath(stageName, dest);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(from, target, { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
    }
  }

  function run(stageName: string, i: Instruction, env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync('sh', ['-c', i.rest], { cwd: hostPath(stageName, '.'), env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`RUN ${i.rest} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  function prepare(s: Stage) {
    const workdir = last(s, 'WORKDIR').rest;
    roots.set(s.name, { root: join(work, s.name), workdir });
    mkdirSync(join(work, s.name), { recursive: true });
  }

  beforeAll(() => {
    // The build stage: its sources, the dev dependencies of this checkout in place of its `npm ci`, its build.
    const build = stage('build');
    prepare(build);
    for (const i of build.instructions) {
      if (i.op === 'COPY') copy('build', i);
      if (i.op === 'RUN' && /npm ci/.test(i.rest)) symlinkSync(join(ROOT, 'node_modules'), hostPath('build', 'node_modules'));
      else if (i.op === 'RUN') run('build', i);
    }
    // The deps stage, as written: a production install from the lockfile (the npm cache may serve it).
    const deps = stage('deps');
    prepare(deps);
    for (const i of deps.instructions) {
      if (i.op === 'COPY') copy('deps', i);
      if (i.op === 'RUN') run('deps', i, { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });
    }
    prepare(runtime);
    for (const i of only(runtime, 'COPY')) copy(runtime.name, i);
  }, 240_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('installs the production dependencies only', () => {
    const modules = hostPath(runtime.name, 'node_modules');
    for (const dep of Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)) {
      expect(existsSync(join(modules, dep)), dep).toBe(true);
    }
    for (const dev of ['typescript', 'vitest', '@stream-io/node-sdk', 'fast-check']) expect(existsSync(join(modules, dev)), dev).toBe(false);
  });

  it('puts `stream-sync` on the PATH as the built CLI', () => {
    const link = /ln -s (\S+) \/usr\/local\/bin\/stream-sync/.exec(only(runtime, 'RUN').map((r) => r.rest).join('\n'));
    expect(link).not.toBeNull();
    const cli = hostPath(runtime.name, link![1]!);
    expect(readFileSync(cli, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('starts the default command (with the embedded emulator), answers /healthz, passes its HEALTHCHECK, and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const config = join(work, 'config');
    mkdirSync(config);
    cpSync(join(ROOT, 'config.example/stream.yaml'), join(config, 'stream.yaml'));
    const cli = hostPath(runtime.name, 'dist/cli.js');
    const env = Object.fromEntries(only(runtime, 'ENV').map((e) => e.rest.split('=') as [string, string]));
    expect(env.NODE_ENV).toBe('production');
    // The image's command, with the config where this test put it, a free port, and the embedded emulator.
    const args = execForm(last(runtime, 'CMD').rest).map((a) => (a === '/config/stream.yaml' ? join(config, 'stream.yaml') : a === '0.0.0.0:9464' ? '127.0.0.1:0' : a));
    const child = spawn(process.execPath, [cli, ...args, '--emulator'], {
      cwd: hostPath(runtime.name, '.'),
      env: { PATH: process.env.PATH, HOME: work, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await expect.poll(() => /serving \/healthz, \/readyz and \/metrics at (http:\/\/[\d.:]+)/.exec(out)?.[1], { timeout: 30_000 }).toBeDefined();
      const url = /at (http:\/\/[\d.:]+)/.exec(out)![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 30_000 }).toBe(200);

      const port = new URL(url).port;
      const check = execForm(last(runtime, 'HEALTHCHECK').rest.replace(/^CMD\s+/, '')).map((a) => a.replace(':9464/', `:${port}/`));
      const hc = spawnSync(check[0] === 'node' ? process.execPath : check[0]!, check.slice(1), { encoding: 'utf8' });
      expect(hc.status, hc.stderr).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit, out).toBe(0);
  });
});
