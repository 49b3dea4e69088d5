import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InterpolationError } from '../core/errors.js';

/**
 * `${env:NAME}`, `${env:NAME:-fallback}`, `${secret:NAME}` and `${file:PATH}` inside a string value. `$${` escapes
 * a literal `${`. A value is secret (every output masks it) when it holds a `${file:…}` (mounted secrets) or a
 * `${secret:…}` (an environment variable the file marks secret) reference; the variables of `${env:…}` references
 * are returned, so that `policy.sensitive_variables` can mark them too. Any other substituted value is shown: an
 * environment's webhook URL must be reviewable in its plan.
 */
const REF = /\$\$\{|\$\{(env|secret|file):([^}]*)\}/g;

export interface Interpolated {
  value: string;
  /** Holds a `${file:…}` or `${secret:…}` reference. */
  sensitive: boolean;
  /** The variables of its `${env:…}` references. */
  variables: string[];
}

export function interpolate(raw: string, opts: { env: NodeJS.ProcessEnv; baseDir: string }): Interpolated {
  let sensitive = false;
  const variables: string[] = [];
  const value = raw.replace(REF, (match, source: string | undefined, ref: string | undefined) => {
    if (match === '$${') return '${';
    if (source !== 'env') sensitive = true;
    if (source === 'env' || source === 'secret') {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(ref ?? '');
      if (!m) throw new InterpolationError(`invalid reference \${${source}:${ref}}: expected \${${source}:NAME} or \${${source}:NAME:-fallback}`);
      if (source === 'env') variables.push(m[1]!);
      const v = opts.env[m[1]!];
      if (v !== undefined && v !== '') return v;
      if (m[2] !== undefined) return m[2];
      throw new InterpolationError(`environment variable ${m[1]} is not set (referenced as \${${source}:${m[1]}})`);
    }
    const path = (ref ?? '').trim();
    if (!path) throw new InterpolationError('invalid reference ${file:}: the path is empty');
    const full = isAbsolute(path) ? path : resolve(opts.baseDir, path);
    try {
      return readFileSync(full, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new InterpolationError(`cannot read ${full} (referenced as \${file:${path}}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
  return { value, sensitive, variables };
}
