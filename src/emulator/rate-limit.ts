/**
 * Stream's rate limits: per app and endpoint, fixed one-minute windows, plus a per-second limit of
 * (per-minute limit / 30). Every response carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix
 * seconds at which the minute window ends).
 */
export const PUBLISHED_RATE_LIMITS: Readonly<Record<string, number>> = {
  UpdateApp: 60,
  ListDevices: 60,
  CheckPush: 60,
  UpdateUsers: 300,
  UpdateUsersPartial: 300,
  CreateDevice: 300,
  QueryUsers: 1_000,
  GetApp: 10_000,
};
export const DEFAULT_RATE_LIMIT = 1_000;

export type RateLimitSetting = 'published' | 'off' | { defaultPerMinute?: number; perMinute?: Record<string, number> };

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
}

interface Window {
  minuteStart: number;
  minuteCount: number;
  secondStart: number;
  secondCount: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private setting: RateLimitSetting;

  constructor(setting: RateLimitSetting = 'published') {
    this.setting = setting;
  }

  configure(setting: RateLimitSetting): void {
    this.setting = setting;
    this.windows.clear();
  }

  get enabled(): boolean {
    return this.setting !== 'off';
  }

  limitFor(op: string): number {
    const s = this.setting;
    if (s === 'off' || s === 'published') return PUBLISHED_RATE_LIMITS[op] ?? DEFAULT_RATE_LIMIT;
    return s.perMinute?.[op] ?? PUBLISHED_RATE_LIMITS[op] ?? s.defaultPerMinute ?? DEFAULT_RATE_LIMIT;
  }

  /** Counts one request of `op` for app `key` at `nowMs`; a refused request is not counted. */
  take(key: string, op: string, nowMs: number): RateDecision {
    const limit = this.limitFor(op);
    const perSecond = Math.max(1, Math.floor(limit / 30));
    const minuteStart = Math.floor(nowMs / 60_000) * 60_000;
    const secondStart = Math.floor(nowMs / 1_000) * 1_000;
    const id = `${key}\u0000${op}`;
    let w = this.windows.get(id);
    if (!w || w.minuteStart !== minuteStart) {
      w = { minuteStart, minuteCount: 0, secondStart, secondCount: 0 };
      this.windows.set(id, w);
    }
    if (w.secondStart !== secondStart) {
      w.secondStart = secondStart;
      w.secondCount = 0;
    }
    const minuteReset = (minuteStart + 60_000) / 1000;
    if (this.setting === 'off') {
      w.minuteCount++;
      return { allowed: true, limit, remaining: Math.max(0, limit - w.minuteCount), reset: minuteReset };
    }
    if (w.minuteCount >= limit) return { allowed: false, limit, remaining: 0, reset: minuteReset };
    if (w.secondCount >= perSecond) {
      // A refused request reports nothing left, whichever window refused it (the reset says when to come back).
      return { allowed: false, limit, remaining: 0, reset: (secondStart + 1_000) / 1000 };
    }
    w.minuteCount++;
    w.secondCount++;
    return { allowed: true, limit, remaining: limit - w.minuteCount, reset: minuteReset };
  }

  /** What GetRateLimits reports for `op`, without counting a request. */
  peek(key: string, op: string, nowMs: number): { limit: number; remaining: number; reset: number } {
    const limit = this.limitFor(op);
    const minuteStart = Math.floor(nowMs / 60_000) * 60_000;
    const w = this.windows.get(`${key}\u0000${op}`);
    const used = w && w.minuteStart === minuteStart ? w.minuteCount : 0;
    return { limit, remaining: Math.max(0, limit - used), reset: (minuteStart + 60_000) / 1000 };
  }
}
