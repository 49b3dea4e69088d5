import { SignJWT } from 'jose';

/** Tokens live 5 minutes and are renewed when less than a minute is left, so none expires in flight. */
const TOKEN_TTL_S = 300;
const RENEW_BEFORE_MS = 60_000;
/** Tolerates a server clock slightly behind the one the token is signed by ("token used before issue at"). */
const IAT_BACKDATE_S = 5;
/** A token signed this recently is as new as one signed now. */
const FRESH_MS = 10_000;
/**
 * An answer's `Date` is whole seconds, and took a round trip to arrive: offsets within this much of the one in use
 * are the same clock, so the tokens signed by it stay valid.
 */
const OFFSET_TOLERANCE_MS = 2_000;

/**
 * The server-side token: HS256 with the API secret, `{server: true}`, short-lived, cached and renewed. Its `iat` and
 * `exp` are on Stream's clock, as this machine estimates it from the answers' `Date` header: a local clock minutes
 * ahead of or behind Stream's (a laptop after sleep, a VM without NTP) would otherwise sign tokens Stream refuses as
 * not yet valid or already expired, or renew them too late.
 */
export class ServerToken {
  readonly #key: Uint8Array;
  readonly #now: () => number;
  /** Stream's clock minus this machine's, in ms (0 until an answer says otherwise). */
  #offsetMs = 0;
  /** Whether an answer has carried a usable `Date` yet. */
  #dateSeen = false;
  #cached?: { token: string; expMs: number; signedMs: number; offsetMs: number };
  #pending?: Promise<string>;

  constructor(secret: string, now: () => number = Date.now) {
    this.#key = new TextEncoder().encode(secret);
    this.#now = now;
  }

  /** Stream's clock minus this machine's, in ms, as the answers so far say. */
  get serverOffsetMs(): number {
    return this.#offsetMs;
  }

  /** Whether an answer has said Stream's time yet (before one, `serverOffsetMs` is a guess: 0). */
  get serverDateSeen(): boolean {
    return this.#dateSeen;
  }

  /**
   * Learns Stream's clock from an answer's `Date` header (whole seconds), received at `receivedMs` on this machine's
   * clock. A difference within the header's precision and the round trip is ignored.
   */
  observeServerDate(date: string | undefined, receivedMs: number): void {
    const serverMs = date === undefined ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(serverMs)) return;
    this.#dateSeen = true;
    // The header truncates to the second: the server's time was within the second that follows it.
    const offset = serverMs + 500 - receivedMs;
    if (Math.abs(offset - this.#offsetMs) > OFFSET_TOLERANCE_MS) this.#offsetMs = offset;
  }

  /** The next `token()` signs a new one. */
  renew(): void {
    this.#cached = undefined;
  }

  /**
   * Stream refused `token` for its time (expired, or not valid yet). Whether a request sent with it may be sent
   * again: yes when a newer token is cached already (another request renewed it), when Stream's clock has been
   * learnt since it was signed, or when it was signed a while ago (it is dropped, and the next `token()` signs a new
   * one); no when it was signed seconds ago by the clock in use, for a new token would be refused too.
   */
  refusedForTime(token: string): boolean {
    const cached = this.#cached;
    if (cached?.token !== token) return true;
    if (cached.offsetMs === this.#offsetMs && this.#now() - cached.signedMs < FRESH_MS) return false;
    this.renew();
    return true;
  }

  token(): Promise<string> {
    const c = this.#cached;
    if (c && c.offsetMs === this.#offsetMs && c.expMs - this.serverNow() >= RENEW_BEFORE_MS) return Promise.resolve(c.token);
    // Concurrent requests at renewal share one signature.
    this.#pending ??= this.sign().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  private serverNow(): number {
    return this.#now() + this.#offsetMs;
  }

  private async sign(): Promise<string> {
    const offsetMs = this.#offsetMs;
    const nowS = Math.floor(this.serverNow() / 1000);
    const exp = nowS + TOKEN_TTL_S;
    const token = await new SignJWT({ server: true })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(nowS - IAT_BACKDATE_S)
      .setExpirationTime(exp)
      .sign(this.#key);
    this.#cached = { token, expMs: exp * 1000, signedMs: this.#now(), offsetMs };
    return token;
  }
}
