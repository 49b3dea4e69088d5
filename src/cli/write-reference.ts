import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram } from './program.js';
import { renderReference } from './reference.js';

/** `npm run docs:cli`: writes docs/cli.md from the program (test/cli/reference.test.ts fails when it is stale). */
const file = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));
writeFileSync(file, renderReference(buildProgram(() => {})));
process.stdout.write(`wrote ${file}\n`);
