import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ServerToken } from './token.js';

const SECRET = 'unit-test-secret-7f3a9c';

describe('ServerToken', () => {
  it('signs an HS256 server token with iat and a five-minute exp', async () => {
    const now = 1_700_000_000_000;
    const token = await new ServerToken(SECRET, () => now).token();
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { currentDate: new Date(now) });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.server).toBe(true);
    expect(payload.user_id).toBeUndefined();
    expect(payload.exp).toBe(now / 1000 + 300);
    expect(payload.iat).toBeLessThanOrEqual(now / 1000);
  });

  it('reuses the token while more than a minute is left and re-signs it near expiry', async () => {
    let now = 1_700_000_000_000;
    const signer = new ServerToken(SECRET, () => now);
    const first = await signer.token();
    now += 239_000;
    expect(await signer.token()).toBe(first);
    now += 2_000;
    const renewed = await signer.token();
    expect(renewed).not.toBe(first);
    expect(decodeJwt(renewed).exp).toBe(now / 1000 + 300);
  });

  it('keeps the secret out of its own properties', () => {
    const signer = new ServerToken(SECRET);
    expect(JSON.stringify(signer)).not.toContain(SECRET);
    expect(Object.values(signer).map(String).join(' ')).not.toContain(SECRET);
  });
});
