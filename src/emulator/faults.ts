import { seededRandom } from './random.js';

/**
 * Fault injection, deterministic under a seed. A rule applies to every operation, or to the ones it names;
 * `rate` is the probability per matching request (default 1), `times` caps how many requests it hits and
 * `after` skips that many matching requests first, so a test can say "the 2nd and 3rd CreateBlockList fail".
 *
 * Which requests count: those of a known app (`api_key` found) on an existing route, authenticated or not, that
 * fit the body limit. A request with an unknown key, an unknown path or a wrong method is answered before faults
 * are decided and never advances `after`/`times`. Injected failures are answered before authentication and do not
 * spend the app's rate budget (only authenticated requests do).
 */
interface RuleBase {
  op?: string | string[];
  rate?: number;
  times?: number;
  after?: number;
}
export type FaultRule =
  /** Added delay before answering: `ms` plus uniform jitter in [0, jitterMs). */
  | (RuleBase & { kind: 'latency'; ms: number; jitterMs?: number })
  /** A JSON APIError with a 5xx status. `when: 'after'` runs the handler first (the write happened, the answer is lost). */
  | (RuleBase & { kind: 'error'; status?: number; when?: 'before' | 'after' })
  /**
   * Not a failure: the matching requests see every rate limit multiplied by `scale` (e.g. 0.25), as when Stream
   * lowers limits under load for a while; `after`/`times` bound the while. Requests refused by the lowered limit
   * answer 429/9 with the lowered X-RateLimit-* headers.
   */
  | (RuleBase & { kind: 'limit_scale'; scale: number })
  /** 429/9; `resetHeaders: false` omits the X-RateLimit-* headers, as some edge layers do. */
  | (RuleBase & { kind: 'rate_limit'; resetHeaders?: boolean })
  /** The connection is destroyed without an answer (`when: 'after'`: after the handler ran). */
  | (RuleBase & { kind: 'reset'; when?: 'before' | 'after' })
  /** The answer is held back `ms` (longer than a client's timeout); the handler runs first. */
  | (RuleBase & { kind: 'slow'; ms: number })
  /** A non-JSON body (plain text), as proxies send, with a 5xx or 429 status. */
  | (RuleBase & { kind: 'non_json'; status?: number; body?: string })
  /**
   * An error whose message quotes the request body back (default 400/4), as validation errors of some APIs and
   * proxies do: what a client sent, secrets included, comes back in the error. `format: 'text'` answers plain text.
   */
  | (RuleBase & { kind: 'echo_body'; status?: number; format?: 'json' | 'text' });

export type FaultKind = FaultRule['kind'];

export interface FaultConfig {
  seed?: number;
  rules: FaultRule[];
}

export interface FaultDecision {
  delayMs: number;
  /** The product of the `limit_scale` rules that fire (1: limits as configured). */
  limitScale: number;
  /** The first failing rule that fires, if any; at most one failure per request. */
  failure?: Exclude<FaultRule, { kind: 'latency' | 'limit_scale' }>;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private seen: number[] = [];
  private hits: number[] = [];
  private random: () => number = seededRandom(1);

  constructor(config?: FaultConfig) {
    if (config) this.configure(config);
  }

  configure(config: FaultConfig): void {
    this.rules = [...config.rules];
    this.seen = this.rules.map(() => 0);
    this.hits = this.rules.map(() => 0);
    this.random = seededRandom(config.seed ?? 1);
  }

  clear(): void {
    this.configure({ rules: [] });
  }

  /** How many requests each rule has hit, in rule order (for tests and benchmark reports). */
  get hitCounts(): readonly number[] {
    return this.hits;
  }

  decide(op: string): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, limitScale: 1 };
    this.rules.forEach((rule, i) => {
      if (rule.op !== undefined && !(Array.isArray(rule.op) ? rule.op.includes(op) : rule.op === op)) return;
      const seen = this.seen[i]!++;
      if (rule.after !== undefined && seen < rule.after) return;
      if (rule.times !== undefined && this.hits[i]! >= rule.times) return;
      const failing = rule.kind !== 'latency' && rule.kind !== 'limit_scale';
      if (failing && decision.failure) return;
      if (this.random() >= (rule.rate ?? 1)) return;
      this.hits[i]!++;
      if (rule.kind === 'latency') decision.delayMs += rule.ms + (rule.jitterMs ? Math.floor(this.random() * rule.jitterMs) : 0);
      else if (rule.kind === 'limit_scale') decision.limitScale *= rule.scale;
      else decision.failure = rule;
    });
    return decision;
  }
}

/** The CLI's `--latency MS` and `--fault-rate P` as rules: P is split over 5xx, 429, resets and non-JSON bodies. */
export function faultsFromFlags(opts: { latencyMs?: number; faultRate?: number; seed?: number }): FaultConfig {
  const rules: FaultRule[] = [];
  if (opts.latencyMs) rules.push({ kind: 'latency', ms: opts.latencyMs, jitterMs: Math.ceil(opts.latencyMs / 5) });
  const p = opts.faultRate ?? 0;
  if (p > 0) {
    rules.push({ kind: 'error', status: 503, rate: p * 0.4 });
    rules.push({ kind: 'rate_limit', rate: p * 0.3 });
    rules.push({ kind: 'reset', rate: p * 0.15 });
    rules.push({ kind: 'non_json', status: 502, rate: p * 0.15 });
  }
  return { seed: opts.seed ?? 1, rules };
}
