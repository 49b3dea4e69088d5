import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

/**
 * The CPU floor of a plan's reads: the least work any client on this stack does to read what the plan read. It
 * sends the same GETs (the targets the emulator answered for the measured plan, replayed verbatim) over undici at
 * the same concurrency, with one HS256 token signed by hand, and JSON-parses each answer. Nothing else: no YAML, no
 * validation, no diff, no pacing (the benchmark lifts the emulator's rate limits while it runs), no retries. Its
 * CPU, measured as the scenarios' is (`measure.js`), is a lower bound on the CPU of an unchanged plan here.
 *
 * Run as a child process: `node floor.js TARGETS_FILE` (one `path?query` per line) with STREAM_BASE_URL,
 * STREAM_API_SECRET and BENCH_CONCURRENCY; it prints `{"requests": …, "bytes": …}` on its last line.
 */
export interface Replay {
  baseUrl: string;
  secret: string;
  targets: readonly string[];
  concurrency: number;
}

export async function replayReads({ baseUrl, secret, targets, concurrency }: Replay): Promise<{ requests: number; bytes: number }> {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ server: true })}`;
  const token = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  const pool = new Pool(baseUrl, { connections: concurrency });
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < targets.length) {
      const path = targets[next++]!;
      const res = await pool.request({ method: 'GET', path, headers: { authorization: token, 'stream-auth-type': 'jwt' } });
      const text = await res.body.text();
      // A refused read is not a read: the floor would be lower than the work it stands for.
      if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
      JSON.parse(text);
      bytes += text.length;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  } finally {
    await pool.close();
  }
  return { requests: targets.length, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const targets = readFileSync(process.argv[2]!, 'utf8').split('\n').filter(Boolean);
  replayReads({ baseUrl: process.env.STREAM_BASE_URL!, secret: process.env.STREAM_API_SECRET!, targets, concurrency: Number(process.env.BENCH_CONCURRENCY ?? 8) })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`floor failed: ${(err as Error).message}\n`);
      process.exitCode = 1;
    });
}
