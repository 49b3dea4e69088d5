import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

/**
 * The package as a user installs it: `npm pack`, the tarball installed into a new project (offline, from npm's
 * cache, as `npm ci` left it), and both entry points used from it, in JavaScript and type-checked TypeScript.
 */

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;
let files: string[];

const ourVersion = (name: string) => (JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'stream-sync-consumer-'));
  const packed = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = spawnSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${packed[0]!.filename}`, `@types/node@${ourVersion('@types/node')}`], { cwd: project, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm install of the packed tarball failed:\n${install.stderr}`);
  writeFileSync(join(project, 'stream.yaml'), 'version: 1\nroles:\n  - name: support-agent\nblocklists:\n  - name: banned\n    words: [scam]\n');
}, 180_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

const CONSUMER = `
import { createClient, loadDesired, plan, renderPlan, VERSION } from 'stream-sync';
import { startEmulator } from 'stream-sync/emulator';

const emulator = await startEmulator();
const client = await createClient(emulator.connection);
try {
  const doc = await plan(loadDesired('stream.yaml'), { client });
  const text = renderPlan(doc, 'text');
  console.log(JSON.stringify({ version: VERSION, summary: doc.summary, text, requests: emulator.requests().map((r) => r.op) }));
} finally {
  await client.close();
  await emulator.close();
}
`;

describe('the packed package', () => {
  it('holds the build, its declarations and the schema, and no source or test', () => {
    for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/emulator/index.js', 'dist/emulator/index.d.ts', 'dist/cli.js', 'schema/stream-sync.schema.json']) expect(files).toContain(f);
    // No source maps (they would point at src/, which is not shipped); the docs generator and test fixtures are the repository's.
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || /\.test\.(js|d\.ts)$|\.map$|write-reference|test-fixtures/.test(f))).toEqual([]);
    expect(readFileSync(join(project, 'node_modules/stream-sync/dist/index.js'), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('plans against the emulator from a new project, with both entry points', () => {
    writeFileSync(join(project, 'consumer.mjs'), CONSUMER);
    const out = execFileSync(process.execPath, ['consumer.mjs'], { cwd: project, encoding: 'utf8' });
    const result = JSON.parse(out) as { version: string; summary: Record<string, number>; text: string; requests: string[] };
    expect(result.version).toBe(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).version);
    expect(result.summary).toMatchObject({ create: 2, update: 0, delete: 0 });
    expect(result.text).toContain('role/support-agent');
    expect(result.requests).toContain('ListBlockLists');
  });

  it('type-checks a TypeScript consumer against the declarations; internals are not importable', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `${CONSUMER}
import { ConfigError, type PlanDocument, type ApplyResult, apply, StateFile } from 'stream-sync';
import type { Emulator, FaultRule } from 'stream-sync/emulator';
const faults: FaultRule[] = [{ kind: 'error', status: 503, op: 'CreateRole', times: 1 }];
export async function typed(e: Emulator, doc: PlanDocument): Promise<ApplyResult> {
  e.injectFaults(faults);
  const c = await createClient({ ...e.connection, rateShare: 50 });
  // @ts-expect-error rateShare is a number
  void createClient({ rateShare: 'half' });
  try {
    return await apply(loadDesired('stream.yaml'), { client: c, plan: doc, state: StateFile.inMemory() });
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.issues.map((i) => i.location?.line));
    throw err;
  }
}
// What a consumer's own declarations name (declaration: true): every public type must be nameable from the entry points.
export const objectsOf = (d: ReturnType<typeof loadDesired>) => d.objects;
export const policyOf = (d: ReturnType<typeof loadDesired>) => d.policy;
export const originsOf = (d: ReturnType<typeof loadDesired>) => d.explain?.('role/x');
export const requestsOf = (e: Emulator) => e.requests({ op: 'CreateRole' });
export const callOf = (e: Emulator) => e.call('GetApp');
// @ts-expect-error internals are not part of the package's surface
import { buildPlan } from 'stream-sync/dist/plan/plan.js';
void buildPlan;
`,
    );
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, declaration: true, emitDeclarationOnly: true, outDir: 'types-out', types: ['node'], skipLibCheck: false }, files: ['consumer.ts'] }));
    const tsc = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('refuses deep imports at run time too, and installs the CLI', () => {
    const deep = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('stream-sync/dist/plan/plan.js')"], { cwd: project, encoding: 'utf8' });
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const version = execFileSync(join(project, 'node_modules/.bin/stream-sync'), ['--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).version);
  });
});
