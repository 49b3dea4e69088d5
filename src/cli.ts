#!/usr/bin/env node
import { ConfigError, formatIssue } from './core/errors.js';
import { buildProgram } from './cli/program.js';
import type { EmulatorModules } from './cli/emulator.js';

/**
 * The composition root: argv and environment in, exit code out. The program is defined in src/cli/program.ts; the
 * emulator is loaded here only, on demand, so plan and apply against Stream never pay for its modules.
 */

async function loadEmulator(): Promise<EmulatorModules> {
  const [{ startEmulator }, { faultsFromFlags }] = await Promise.all([import('./emulator/server.js'), import('./emulator/faults.js')]);
  return { startEmulator, faultsFromFlags };
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  }, loadEmulator);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // Only commander's codes are strings of that form: an ApiError's `code` is Stream's number.
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return 1;
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.issues.map(formatIssue).join('\n')}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the desired state: nothing was changed.\n`);
      return 1;
    }
    process.stderr.write(`error: ${e.message ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
