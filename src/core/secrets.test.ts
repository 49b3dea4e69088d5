import { describe, expect, it } from 'vitest';
import type { DesiredObject } from './model.js';
import { redact, redactError, SENSITIVE, sensitiveValues } from './secrets.js';

const obj = (fields: Record<string, unknown>, sensitive: string[] = []): DesiredObject => ({ kind: 'thing', address: 'thing/x', fields, sensitive });
const secretFieldsOf = (kind: string) => (kind === 'thing' ? ['/creds/*', '/key'] : []);

describe('sensitiveValues', () => {
  it('collects secret fields, substituted values and the strings inside a JSON key file, longest first', () => {
    const key = JSON.stringify({ type: 'service_account', private_key: 'pk-0123456789' });
    const values = sensitiveValues([obj({ key, creds: { a: 'secret-a1' }, url: 'https://x/${env}', plain: 'visible-value' }, ['/url']), undefined], secretFieldsOf);
    expect(values).toEqual([key, 'https://x/${env}', 'service_account', 'pk-0123456789', 'secret-a1'].sort((a, b) => b.length - a.length));
    expect(values).not.toContain('visible-value');
  });

  it('leaves out substituted values too short to be a credential, but never a short secret (a three-digit PIN)', () => {
    expect(sensitiveValues([obj({ region: 'eu' }, ['/region'])], secretFieldsOf)).toEqual([]);
    expect(sensitiveValues([obj({ key: '123' })], secretFieldsOf)).toEqual(['123']);
    expect(redact('pin 123 refused', ['123'])).toBe(`pin ${SENSITIVE} refused`);
  });
});

describe('redact', () => {
  const secret = 'LEAK"me-5e2a90f1';
  it.each([
    ['as written', `bad ${secret} here`],
    ['JSON-escaped', `body ${JSON.stringify({ s: secret })}`],
    ['escaped twice', JSON.stringify({ m: JSON.stringify({ s: secret }) })],
    ['cut short at the end', `body {"s":"LEAK\\"me-5e2a`],
  ])('hides a secret %s', (_, text) => {
    const out = redact(text, [secret]);
    expect(out).toContain(SENSITIVE);
    expect(out).not.toMatch(/LEAK|5e2a/);
  });

  it('redacts the message of a thrown error in place', () => {
    const err = redactError(new Error(`refused: ${secret}`), [secret]) as Error;
    expect(err.message).toBe(`refused: ${SENSITIVE}`);
  });
});
