import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJsonSchema } from './json-schema.js';

/** `npm run schema`: regenerates schema/stream-sync.schema.json (a test fails while the committed one is stale). */
const target = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema/stream-sync.schema.json');
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${target}\n`);
