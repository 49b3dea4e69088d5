import { writeFileSync } from 'node:fs';

/**
 * Preloaded (`node --import`) into each reconciler process the benchmark starts: at exit it writes what the
 * process used, process-wide, to `BENCH_USAGE_FILE`. The numbers cover everything that process did — Node's own
 * start-up, loading and validating the YAML, reading the app, planning, rendering, applying, reading back — and
 * nothing of the emulator, which runs in another process.
 */
export interface Usage {
  /** User + system CPU time. */
  cpu_ms: number;
  /** Peak resident set size. */
  peak_rss_mb: number;
}

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.once('exit', () => {
    const cpu = process.cpuUsage();
    // maxRSS is in kilobytes.
    const usage: Usage = { cpu_ms: (cpu.user + cpu.system) / 1000, peak_rss_mb: process.resourceUsage().maxRSS / 1024 };
    writeFileSync(file, JSON.stringify(usage));
  });
}
