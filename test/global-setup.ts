import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * CLI tests run the built CLI (`dist/cli.js`), as users and the container do: build it once per run. Type
 * errors are the type-check step's to report (`npm test` runs it first); tsc still emits, so tests can run.
 */
export default function setup(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  if (!existsSync(resolve(root, 'dist/cli.js'))) throw new Error('the build did not produce dist/cli.js: run `npm run build` to see why');
}
