import { UsageError } from '../core/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `--listen HOST:PORT` (`[::1]:9464` for IPv6; port 0 picks a free one). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be HOST:PORT, such as 127.0.0.1:9464 or 0.0.0.0:9464 (got "${text}")`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
