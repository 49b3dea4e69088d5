import type { YAML_OPTIONS } from '../document.js';

/**
 * What the fast readers know of the parser they stand in for: YAML 1.2's core schema (the words below), with
 * every other option one that cannot change a value they read. They are used only while the library's options
 * ({@link YAML_OPTIONS}) are ones they mirror; an option added or changed there turns them off until they are
 * taught it (the pin test in mirror.test.ts says so).
 */
const MIRRORED: Record<string, (value: unknown) => boolean> = {
  // The core schema: NOT_STRINGS, BOOLEANS and plain integers below. YAML 1.1 reads `yes`, `0o7`, `1_000`… otherwise.
  version: (v) => v === '1.2',
  // A repeated key makes the readers give up, whatever the parser would do with it.
  uniqueKeys: (v) => typeof v === 'boolean',
  // Messages and warnings only: the readers give up on anything the parser would say a word about.
  strict: (v) => typeof v === 'boolean',
  prettyErrors: (v) => typeof v === 'boolean',
  // The readers give up on anchors and aliases.
  maxAliasCount: (v) => typeof v === 'number',
};

/** Whether the fast readers give what the library gives with `options` (the parse and the conversion to values). */
export function mirrorsParser(options: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(options).every(([name, value]) => Object.hasOwn(MIRRORED, name) && MIRRORED[name]!(value));
}

/**
 * Words the core schema reads as null or a boolean, not as a string (a piece never holds a `%YAML 1.1` directive:
 * splitPieces parses such a file whole).
 */
export const NOT_STRINGS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
export const BOOLEANS = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
