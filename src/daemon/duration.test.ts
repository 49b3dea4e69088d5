import { describe, expect, it } from 'vitest';
import { parseDuration } from '../core/duration.js';
import { parseListen } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['5m', 300_000],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1500],
    ['1.5s', 1500],
    [' 2m ', 120_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration('--interval', text)).toBe(ms);
  });

  it.each(['5', '', 'm', '5 m', '5d', '-1s', '1m5'])('refuses %j with a message naming the flag', (text) => {
    expect(() => parseDuration('--interval', text)).toThrow(/--interval must be a duration/);
  });
});

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    [':9464', { host: '0.0.0.0', port: 9464 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('reads %s', (text, addr) => {
    expect(parseListen(text)).toEqual(addr);
  });

  it.each(['9464', '127.0.0.1', '127.0.0.1:99999', 'a:b', '::1:9464'])('refuses %j', (text) => {
    expect(() => parseListen(text)).toThrow(/--listen must be HOST:PORT/);
  });
});
