import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InterpolationError } from '../core/errors.js';

/**
 * `${env:NAME}`, `${env:NAME:-fallback}` and `${file:PATH}` inside a string value. A value that contains a
 * reference is sensitive: every output masks it. `$${` escapes a literal `${`.
 */
const REF = /\$\$\{|\$\{(env|file):([^}]*)\}/g;

export interface Interpolated {
  value: string;
  sensitive: boolean;
}

export function interpolate(raw: string, opts: { env: NodeJS.ProcessEnv; baseDir: string }): Interpolated {
  let sensitive = false;
  const value = raw.replace(REF, (match, source: string | undefined, ref: string | undefined) => {
    if (match === '$${') return '${';
    sensitive = true;
    if (source === 'env') {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(ref ?? '');
      if (!m) throw new InterpolationError(`invalid reference \${env:${ref}}: expected \${env:NAME} or \${env:NAME:-fallback}`);
      const v = opts.env[m[1]!];
      if (v !== undefined && v !== '') return v;
      if (m[2] !== undefined) return m[2];
      throw new InterpolationError(`environment variable ${m[1]} is not set (referenced as \${env:${m[1]}})`);
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
  return { value, sensitive };
}
