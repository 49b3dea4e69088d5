/* A tiny evaluator for the GitHub Actions expressions the example workflow uses: property paths into the
 * contexts (`github.event_name`, `steps.plan.outputs.changes`, `vars.STREAM_APP`), string/number/boolean
 * literals, `==`, `!=`, `!`, `&&`, `||` (which, as in Actions, yield an operand, not a boolean), parentheses,
 * and the status functions `success()`, `failure()`, `always()`, `cancelled()`. Anything else throws, so a
 * workflow that grows a form this replay does not understand fails loudly instead of being misread. */

export type Contexts = Record<string, unknown>;
export interface Status {
  /** A step (or the job) before this one failed. */
  failed: boolean;
}

type Token = { t: 'str' | 'num' | 'id' | 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_*][A-Za-z0-9_-]*)*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const op = ['==', '!=', '&&', '||'].find((o) => src.startsWith(o, i)) ?? (['!', '(', ')'].includes(c) ? c : undefined);
      if (!op) throw new Error(`unsupported character ${JSON.stringify(c)} in expression ${src}`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return out;
}

const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0);

/** Actions compares loosely: strings case-insensitively, numbers with strings as numbers. */
function equal(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => (x === undefined ? null : x);
  const [x, y] = [norm(a), norm(b)];
  if (typeof x === 'string' && typeof y === 'string') return x.toLowerCase() === y.toLowerCase();
  if (typeof x === 'number' || typeof y === 'number') return Number(x) === Number(y);
  return x === y;
}

export function evaluate(expr: string, ctx: Contexts, status: Status = { failed: false }): unknown {
  const tokens = tokenize(expr);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (v?: string) => {
    const tok = tokens[pos++];
    if (!tok || (v !== undefined && tok.v !== v)) throw new Error(`expected ${v ?? 'a token'} in ${expr}`);
    return tok;
  };
  const or = (): unknown => {
    let v = and();
    while (peek()?.v === '||') {
      take();
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  };
  const and = (): unknown => {
    let v = cmp();
    while (peek()?.v === '&&') {
      take();
      const r = cmp();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const cmp = (): unknown => {
    const l = unary();
    const op = peek();
    if (op?.t === 'op' && (op.v === '==' || op.v === '!=')) {
      take();
      const r = unary();
      return op.v === '==' ? equal(l, r) : !equal(l, r);
    }
    return l;
  };
  const unary = (): unknown => {
    if (peek()?.v === '!') {
      take();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): unknown => {
    const tok = take();
    if (tok.t === 'op' && tok.v === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'num') return Number(tok.v);
    if (tok.t !== 'id') throw new Error(`unexpected ${tok.v} in ${expr}`);
    if (peek()?.v === '(') {
      take('(');
      take(')');
      switch (tok.v) {
        case 'success':
          return !status.failed;
        case 'failure':
          return status.failed;
        case 'always':
          return true;
        case 'cancelled':
          return false;
        default:
          throw new Error(`unsupported function ${tok.v}() in ${expr}`);
      }
    }
    if (tok.v === 'true') return true;
    if (tok.v === 'false') return false;
    if (tok.v === 'null') return null;
    const [root, ...path] = tok.v.split('.');
    if (!(root! in ctx)) throw new Error(`unknown context ${root} in ${expr}`);
    let v: unknown = ctx[root!];
    for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[p];
    return v;
  };
  const v = or();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]!.v} in ${expr}`);
  return v;
}

const toText = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A value with `${{ … }}` parts, as in `env:` and `with:`: each part replaced by its value as text. */
export function interpolate(value: unknown, ctx: Contexts): string {
  return String(value).replace(/\$\{\{(.*?)\}\}/gs, (_, e: string) => toText(evaluate(e, ctx)));
}

/** An `if:`: a bare expression or one `${{ … }}`; without a status function it is `success() && (…)`. */
export function condition(cond: unknown, ctx: Contexts, status: Status): boolean {
  if (cond === undefined) return !status.failed;
  if (typeof cond === 'boolean') return cond && !status.failed;
  let src = String(cond).trim();
  const whole = /^\$\{\{(.*)\}\}$/s.exec(src);
  if (whole) src = whole[1]!;
  if (!/\b(success|failure|always|cancelled)\(\)/.test(src)) src = `success() && (${src})`;
  return truthy(evaluate(src, ctx, status));
}
