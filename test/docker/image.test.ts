import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { copyParts, execForm, type Instruction, labels, parseDockerfile, type Stage } from './dockerfile.js';

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
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license: string; dependencies: Record<string, string> };
/** The image's default command. */
const CMD = execForm(last(runtime, 'CMD').rest);

/** The health server's URL once the daemon's output (read again on each poll) says it is serving. */
async function servingUrl(output: () => string): Promise<string> {
  const serving = /serving \/healthz, \/readyz and \/metrics at (http:\/\/[\d.:]+)/;
  await expect.poll(() => serving.exec(output())?.[1], { timeout: 30_000 }).toBeDefined();
  return serving.exec(output())![1]!;
}

describe('Dockerfile', () => {
  it('is multi-stage with a Node 22 slim or distroless runtime that runs as a numeric non-root user', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    expect(runtime.image).toMatch(/^(node:22[-.\w]*-slim|gcr\.io\/distroless\/nodejs22)/);
    // Numeric (uid 1000, the official image's `node`, with its group): Kubernetes' runAsNonRoot can verify a
    // number, never a name; the Kubernetes examples run as the same uid and gid.
    const user = last(runtime, 'USER').rest;
    expect(user).toMatch(/^1000(:1000)?$/);
    // /state belongs to that user, so a fresh named volume mounted there is writable.
    expect(only(runtime, 'RUN').map((r) => r.rest).join('\n')).toMatch(/chown 1000:1000 \/state\b/);
    // The runtime carries no compiler and no dev dependency: only dist/ from the build stage.
    expect(only(runtime, 'COPY').filter((c) => c.flags.from).map((c) => [c.flags.from, copyParts(c).sources[0]])).toEqual([
      ['deps', '/app/node_modules'],
      ['build', '/src/dist'],
    ]);
    expect(only(stage('deps'), 'RUN').map((r) => r.rest).join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('has the entrypoint, default command and health check the docs promise, the default state under /state', () => {
    expect(execForm(last(runtime, 'ENTRYPOINT').rest)).toEqual(['stream-sync']);
    expect(CMD).toEqual(['watch', '-f', '/config/stream.yaml', '--state-file', '/state/state.json', '--listen', '0.0.0.0:9464']);
    expect(only(runtime, 'VOLUME').map((v) => execForm(v.rest))).toEqual([['/state']]);
    const health = last(runtime, 'HEALTHCHECK');
    expect(health.rest).toMatch(/^CMD \[/);
    expect(health.rest).toContain('http://127.0.0.1:9464/healthz');
    expect(only(runtime, 'EXPOSE').map((e) => e.rest)).toEqual(['9464']);
  });

  it('runs node as PID 1 with no shell in between: ENTRYPOINT, CMD and HEALTHCHECK in exec form, no init or shell wrapper', () => {
    for (const op of ['ENTRYPOINT', 'CMD']) {
      for (const i of only(runtime, op)) expect(i.rest, `${op} in shell form runs under /bin/sh -c, which does not forward SIGTERM`).toMatch(/^\[/);
    }
    expect(last(runtime, 'HEALTHCHECK').rest).toMatch(/^CMD \[/);
    const entry = execForm(last(runtime, 'ENTRYPOINT').rest);
    expect(entry.join(' ')).not.toMatch(/\b(sh|bash|tini|dumb-init)\b/);
    expect(dockerfile.stages.flatMap((s) => only(s, 'SHELL'))).toEqual([]);
  });

  it('carries the OCI labels, the version equal to package.json, source and revision from build arguments (no made-up URL)', () => {
    const l = labels(runtime, dockerfile.args);
    expect(l).toMatchObject({
      'org.opencontainers.image.title': pkg.name,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.version': pkg.version,
    });
    expect(l['org.opencontainers.image.description']).toMatch(/Stream/);
    expect(l['org.opencontainers.image.source']).toBe('');
    expect(l['org.opencontainers.image.revision']).toBe('');
    const built = labels(runtime, { ...dockerfile.args, SOURCE_URL: 'https://github.com/example/stream-sync', REVISION: 'abc123' });
    expect(built).toMatchObject({ 'org.opencontainers.image.source': 'https://github.com/example/stream-sync', 'org.opencontainers.image.revision': 'abc123' });
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
    for (const dep of Object.keys(pkg.dependencies)) {
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
    const args = CMD.map((a) => (a === '/config/stream.yaml' ? join(config, 'stream.yaml') : a === '/state/state.json' ? join(work, 'state-embedded.json') : a === '0.0.0.0:9464' ? '127.0.0.1:0' : a));
    const child = spawn(process.execPath, [cli, ...args, '--emulator'], {
      cwd: hostPath(runtime.name, '.'),
      env: { PATH: process.env.PATH, HOME: work, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    try {
      const url = await servingUrl(() => out);
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
  it('runs the default command as the image does: the entrypoint execs node in place (PID 1, no wrapper), the state goes to /state and nothing is written beside a read-only config', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(work, 'run-'));
    const config = join(root, 'config');
    const state = join(root, 'state');
    const bin = join(root, 'bin');
    for (const d of [config, state, bin]) mkdirSync(d);
    cpSync(join(ROOT, 'config.example/stream.yaml'), join(config, 'stream.yaml'));
    // /config read-only (a `:ro` mount or a ConfigMap). Root writes through a mode, so the test below also checks
    // that nothing appeared there.
    chmodSync(config, 0o555);
    // `stream-sync` on the PATH, as the RUN step links it (and makes the CLI executable).
    const link = /ln -s (\S+) \/usr\/local\/bin\/stream-sync/.exec(only(runtime, 'RUN').map((r) => r.rest).join('\n'))!;
    const cli = hostPath(runtime.name, link[1]!);
    chmodSync(cli, 0o755);
    symlinkSync(cli, join(bin, 'stream-sync'));
    const env = Object.fromEntries(only(runtime, 'ENV').map((e) => e.rest.split('=') as [string, string]));

    // Stream: an emulator in a process of its own, so the daemon runs exactly the image's command (no --emulator,
    // whose state stays in memory).
    const emulator = spawn(process.execPath, [cli, 'emulator', '--port', '0', '--log-level', 'silent'], { env: { PATH: process.env.PATH, HOME: work } });
    let banner = '';
    emulator.stdout.on('data', (d: Buffer) => (banner += d.toString()));
    const emulatorExit = new Promise((r) => emulator.on('exit', r));
    let out = '';
    try {
      await expect.poll(() => /api secret: (\S+)/.exec(banner)?.[1], { timeout: 20_000 }).toBeDefined();
      const stream = { STREAM_BASE_URL: /base url: (\S+)/.exec(banner)![1]!, STREAM_API_KEY: /api key: (\S+)/.exec(banner)![1]!, STREAM_API_SECRET: /api secret: (\S+)/.exec(banner)![1]! };

      const [entrypoint] = execForm(last(runtime, 'ENTRYPOINT').rest);
      const args = CMD.map((a) => (a.startsWith('/config/') ? join(config, posix.relative('/config', a)) : a.startsWith('/state/') ? join(state, posix.relative('/state', a)) : a === '0.0.0.0:9464' ? '127.0.0.1:0' : a));
      const child = spawn(entrypoint!, args, { cwd: hostPath(runtime.name, '.'), env: { PATH: `${bin}:${process.env.PATH}`, HOME: work, ...env, ...stream } });
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((r) => child.on('exit', r));
      try {
        const url = await servingUrl(() => out);
        await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
        // The process the runtime started is node itself (env exec'd it in place): it is the one that gets the signal.
        if (existsSync(`/proc/${child.pid}/exe`)) expect(readlinkSync(`/proc/${child.pid}/exe`)).toBe(readlinkSync('/proc/self/exe'));
        expect(readdirSync(state)).toContain('state.json');
        expect(readdirSync(config)).toEqual(['stream.yaml']);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exit, out).toBe(0);
    } finally {
      chmodSync(config, 0o755);
      emulator.kill('SIGTERM');
      await emulatorExit;
    }
  });
});
