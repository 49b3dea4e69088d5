import { describe, expect, it } from 'vitest';
import { decodeText } from './decode.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('decodeText', () => {
  it('reads UTF-8 bytes as text, without a byte order mark', () => {
    expect(decodeText('stream.yaml', bytes([0xef, 0xbb, 0xbf], 'name: Über\n'))).toEqual({ text: 'name: Über\n' });
  });

  it('locates the first byte that is not UTF-8 by line and column (columns count characters)', () => {
    const r = decodeText('stream.yaml', bytes('a: 1\nb: é', [0xff], '\n'));
    expect(r.issue).toEqual({ message: 'the file is not valid UTF-8 text (save it as UTF-8)', location: { file: 'stream.yaml', line: 2, col: 5 } });
  });

  it('locates a sequence cut short at the end of a line', () => {
    expect(decodeText('stream.yaml', bytes('ab', [0xe2, 0x82], '\n')).issue?.location).toEqual({ file: 'stream.yaml', line: 1, col: 3 });
  });

  it('refuses a control character YAML does not allow, saying how to write it', () => {
    expect(decodeText('stream.yaml', 'a: 1\nb: "x\u0007"\n').issue).toEqual({
      message: 'the file holds the control character U+0007, which YAML does not allow in a file: if it is meant, write it as "\\u0007" in a double-quoted string',
      location: { file: 'stream.yaml', line: 2, col: 6 },
    });
    expect(decodeText('stream.yaml', 'a: "\t\r\n"\n')).toEqual({ text: 'a: "\t\r\n"\n' });
  });
});
