import { SignJWT } from 'jose';

/** Tokens live 5 minutes and are renewed when less than a minute is left, so none expires in flight. */
const TOKEN_TTL_S = 300;
const RENEW_BEFORE_MS = 60_000;
/** Tolerates a server clock slightly behind ours ("token used before issue at"). */
const IAT_BACKDATE_S = 5;
/** A token signed this recently is as new as one signed now. */
const FRESH_MS = 10_000;

/** The server-side token: HS256 with the API secret, `{server: true}`, short-lived, cached and renewed. */
export class ServerToken {
  readonly #key: Uint8Array;
  readonly #now: () => number;
  #cached?: { token: string; expMs: number; signedMs: number };
  #pending?: Promise<string>;

  constructor(secret: string, now: () => number = Date.now) {
    this.#key = new TextEncoder().encode(secret);
    this.#now = now;
  }

  /** The next `token()` signs a new one. */
  renew(): void {
    this.#cached = undefined;
  }

  /**
   * Stream refused `token` as expired. Whether a request sent with it may be sent again: yes when a newer token is
   * cached already (another request renewed it), or when `token` was signed a while ago (it is dropped, and the
   * next `token()` signs a new one); no when it was signed seconds ago, for a new token would be refused too.
   */
  refusedAsExpired(token: string): boolean {
    const cached = this.#cached;
    if (cached?.token !== token) return true;
    if (this.#now() - cached.signedMs < FRESH_MS) return false;
    this.renew();
    return true;
  }

  token(): Promise<string> {
    if (this.#cached && this.#cached.expMs - this.#now() >= RENEW_BEFORE_MS) return Promise.resolve(this.#cached.token);
    // Concurrent requests at renewal share one signature.
    this.#pending ??= this.sign().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  private async sign(): Promise<string> {
    const nowS = Math.floor(this.#now() / 1000);
    const exp = nowS + TOKEN_TTL_S;
    const token = await new SignJWT({ server: true })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(nowS - IAT_BACKDATE_S)
      .setExpirationTime(exp)
      .sign(this.#key);
    this.#cached = { token, expMs: exp * 1000, signedMs: this.#now() };
    return token;
  }
}
