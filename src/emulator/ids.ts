/** UUIDs from the emulator's seeded generator: reproducible runs give reproducible ids. */
export function uuidFrom(random: () => number, nowMs?: number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  if (nowMs !== undefined) {
    // UUID v7: 48-bit big-endian ms timestamp, then random bits (as Stream does for generated group ids).
    let t = nowMs;
    for (let i = 5; i >= 0; i--) {
      bytes[i] = t % 256;
      t = Math.floor(t / 256);
    }
    bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  } else {
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  }
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
