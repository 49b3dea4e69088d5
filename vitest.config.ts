import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  // Tests import the package by its name, as users do (test/library): the source, not dist/. Same as tsconfig's paths.
  resolve: {
    alias: [
      { find: /^stream-sync\/emulator$/, replacement: fileURLToPath(new URL('./src/emulator/index.ts', import.meta.url)) },
      { find: /^stream-sync$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Vitest's default leaves one core free: one worker on a 2-core machine. Most files wait on child processes and
    // sockets (the CLI, the daemon, the emulator), so a worker per core halves the suite's time (255 s → 165 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    // .ci/run asks for a JSON report too, to print its closing `N passed, N failed` line.
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
