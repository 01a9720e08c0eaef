import { describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { getOnlineFeaturesBody, parseBody } from '../src/request-schemas.js';

const VALUES: unknown[] = [1001, -1, 1.5, 0, 'a', '', 'x'.repeat(70_000), true, null, [1, 2], [[1]], { a: 1 }, undefined];
const NAMES = ['driver_id', 'val_to_add', '_x', '1bad', '__proto__', 'constructor', 'a-b', '', 'k'.repeat(129)];
const FEATURES: unknown[] = ['driver_hourly_stats:conv_rate', 'v:f', '', 'x'.repeat(600), 3, null];

/** Seeded bodies around the accepted shape: each field dropped, mistyped or out of range now and then. */
function randomBody(rnd: () => number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const body: Record<string, unknown> = {};
  if (rnd() < 0.9)
    body.features = rnd() < 0.1 ? 'v:f' : Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.8 ? FEATURES[0] : pick(FEATURES)));
  if (rnd() < 0.1) body.feature_service = pick(['svc', '', 7]);
  if (rnd() < 0.95) {
    if (rnd() < 0.05) body.entities = pick([[1], 'x', null, 5]);
    else {
      const cols: Record<string, unknown> = {};
      const n = Math.floor(rnd() * 3);
      for (let c = 0; c < n; c++) {
        const name = rnd() < 0.8 ? NAMES[c % 2]! : pick(NAMES);
        cols[name] = rnd() < 0.05 ? 1001 : Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.8 ? 1001 : pick(VALUES)));
      }
      body.entities = rnd() < 0.05 ? JSON.parse(`{"__proto__": [1], "driver_id": [1]}`) : cols;
    }
  }
  if (rnd() < 0.3) body.full_feature_names = pick([true, false, 'yes', 1]);
  if (rnd() < 0.05) body[pick(['extra', 'feature', 'entity_rows'])] = 1;
  return body;
}

describe('request schemas: the hand-written check of /get-online-features', () => {
  it('accepts exactly what the zod schema accepts, with the same parsed value, on 5,000 seeded bodies', () => {
    const rnd = seededRandom(24);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const body = randomBody(rnd);
      const hand = getOnlineFeaturesBody.quick!(body);
      const zod = getOnlineFeaturesBody.strict.safeParse(body);
      // The hand check may pass a body on to zod, but never accepts one zod refuses, nor parses it differently.
      if (hand !== undefined) {
        expect(zod.success, JSON.stringify(body)).toBe(true);
        expect(hand).toEqual(zod.data);
        accepted++;
      }
      if (zod.success) expect(parseBody(getOnlineFeaturesBody, body, '/get-online-features')).toEqual(zod.data);
      else expect(() => parseBody(getOnlineFeaturesBody, body, '/get-online-features')).toThrow(/\/get-online-features/);
    }
    // The common shape does take the hand-written path.
    expect(accepted).toBeGreaterThan(500);
  });
});
