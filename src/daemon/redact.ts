import type { Logger } from 'pino';
import { KINDS } from '../kinds/registry.js';

/** Names that hold credentials whatever the object: the connection's and HTTP's. */
const ALWAYS = ['secret', 'apiSecret', 'api_secret', 'token', 'authorization', 'password', 'credentials', 'STREAM_API_SECRET'];

/**
 * Log paths censored as a second line of defence (no log call should carry a secret in the first place): the
 * connection's credentials and every secret field the kinds declare (`sqs_secret`, `firebase_credentials`, …),
 * at the top of a log object and up to three levels down (pino's redaction has no "any depth" wildcard).
 */
export function redactPaths(): string[] {
  const names = new Set(ALWAYS);
  for (const kind of KINDS) {
    for (const pointer of kind.secretFields) {
      const leaf = pointer.split('/').filter((s) => s && s !== '*').pop();
      if (leaf) names.add(leaf);
    }
  }
  return [...names].sort().flatMap((n) => [n, `*.${n}`, `*.*.${n}`, `*.*.*.${n}`]);
}

/** The daemon's logger: the CLI's, with the redaction widened to every secret field. */
export function withSecretRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: redactPaths(), censor: '(redacted)' } });
}
