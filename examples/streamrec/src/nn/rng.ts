import { seededRandom } from '@frec/core/spi';

/** StreamRec's only source of randomness (frec's seeded mulberry32 generator), so runs are reproducible. */
export class Rng {
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = seededRandom(seed);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: Int32Array): Int32Array {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A Float32Array of normal samples scaled by std. */
  normalArray(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }
}

/** The generator as a function, as the baselines and the evaluation draw from it: the same sequence as `new Rng(seed).next()`. */
export function mulberry32(seed: number): () => number {
  return seededRandom(seed);
}
