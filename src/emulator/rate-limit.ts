/**
 * Stream's rate limits: per app and endpoint, fixed one-minute windows, plus (by default; `perSecond: false`
 * turns it off) a per-second limit of (per-minute limit / 30). Every response carries `X-RateLimit-Limit`,
 * `-Remaining` and `-Reset` (Unix seconds at which the minute window ends). Stream lowers limits dynamically
 * under load: `scale` (the option, or `setScale` mid-run) multiplies every limit, headers and GetRateLimits
 * included.
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

export type RateLimitSetting =
  | 'published'
  | 'off'
  | {
      defaultPerMinute?: number;
      perMinute?: Record<string, number>;
      /** The per-second cap of limit / 30 (default true). Stream documents only the one-minute window. */
      perSecond?: boolean;
      /** Multiplies every limit (default 1), as Stream's dynamic lowering under load does. */
      scale?: number;
    };

function checkScale(scale: number): number {
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`a rate-limit scale must be a positive number, got ${scale}`);
  return scale;
}

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
  private scale = 1;

  constructor(setting: RateLimitSetting = 'published') {
    this.setting = setting;
    this.scale = typeof setting === 'object' ? checkScale(setting.scale ?? 1) : 1;
  }

  configure(setting: RateLimitSetting): void {
    this.setting = setting;
    this.scale = typeof setting === 'object' ? checkScale(setting.scale ?? 1) : 1;
    this.windows.clear();
  }

  /**
   * Lowers (or restores, with 1) every limit mid-run, as Stream does under load. What was used this minute stays
   * used: a limit lowered below it refuses until the window ends.
   */
  setScale(scale: number): void {
    this.scale = checkScale(scale);
  }

  get limitScale(): number {
    return this.scale;
  }

  get enabled(): boolean {
    return this.setting !== 'off';
  }

  /** `extraScale`: a `limit_scale` fault's factor for one request, on top of the emulator-wide scale. */
  limitFor(op: string, extraScale = 1): number {
    const s = this.setting;
    const base =
      s === 'off' || s === 'published' ? (PUBLISHED_RATE_LIMITS[op] ?? DEFAULT_RATE_LIMIT) : (s.perMinute?.[op] ?? PUBLISHED_RATE_LIMITS[op] ?? s.defaultPerMinute ?? DEFAULT_RATE_LIMIT);
    return Math.max(1, Math.floor(base * this.scale * extraScale));
  }

  /** Counts one request of `op` for app `key` at `nowMs`; a refused request is not counted. */
  take(key: string, op: string, nowMs: number, extraScale = 1): RateDecision {
    const limit = this.limitFor(op, extraScale);
    const perSecond = typeof this.setting === 'object' && this.setting.perSecond === false ? Infinity : Math.max(1, Math.floor(limit / 30));
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
