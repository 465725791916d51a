/**
 * The simulator's deterministic randomness: a seeded xoroshiro128+ stream for the generator's draws, and hashes
 * that derive uids and small numbers from strings. Nothing here reads Math.random or the clock.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/**
 * Bound once: under jest's VM modules every `Math.imul` is a global lookup through the sandbox, which made
 * hashing ~40× slower.
 */
const imul = Math.imul;

/** A seeded random stream with the few draws the generator needs. */
export class Rng {
  private readonly g: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number, streams: number) {
    // xoroshiro128+ takes 32 bits: fold the high half of larger seeds in rather than dropping it.
    this.g = xoroshiro128plus((seed | 0) ^ (Math.floor(seed / 2 ** 32) | 0));
    // Independent, non-overlapping streams per environment: Dev's draws never shift Stage's.
    for (let i = 0; i < streams; i++) this.g.jump();
    // A small seed leaves the first outputs of an unjumped stream low in entropy (ids like fffffffe-fefd-…).
    for (let i = 0; i < 32; i++) this.g.next();
  }
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }
  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** Draws from integer weights (callers pre-scale fractional ones). */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>, total: number): T {
    let r = this.int(0, total - 1);
    for (const [v, w] of entries) {
      if (r < w) return v;
      r -= w;
    }
    return entries[entries.length - 1][0];
  }
  /** A lower-case UUID v4 whose 122 random bits come from the stream. */
  uuid(): string {
    return formatUuid(this.u32(), this.u32(), this.u32(), this.u32());
  }
  u32(): number {
    return this.g.next() >>> 0;
  }
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Formats 128 bits as a UUID v4 (version and variant bits forced). */
function formatUuid(a: number, b: number, c: number, d: number): string {
  const h = hex8(a) + hex8((b & 0xffff0fff) | 0x00004000) + hex8((c & 0x3fffffff) | 0x80000000) + hex8(d);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A UUID v4 derived from strings (cyrb128: four mixed 32-bit lanes). Used for object uids: derived from the
 * runtime id (itself seeded) and an object key, so the same seed gives the same uids without threading an RNG
 * through object construction.
 */
export function derivedUuid(...parts: string[]): string {
  const s = parts.join('\u0000');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ imul(h1 ^ k, 597399067);
    h2 = h3 ^ imul(h2 ^ k, 2869860233);
    h3 = h4 ^ imul(h3 ^ k, 951274213);
    h4 = h1 ^ imul(h4 ^ k, 2716044179);
  }
  h1 = imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return formatUuid(h1, h2, h3, h4);
}

/** A stable small number from a string (FNV-1a), for seeded variety in object contents. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
