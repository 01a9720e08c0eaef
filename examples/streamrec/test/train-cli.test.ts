import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/pipeline/train-cli.js';
import { VENDORED_DATA } from '../src/data/load-cli.js';

describe('npm run train arguments', () => {
  it('leaves docs/benchmarks.md alone unless --write-benchmarks is given', () => {
    expect(parseTrainArgs([])).toEqual({
      help: false,
      input: VENDORED_DATA,
      maxUsers: undefined,
      seed: undefined,
      promote: false,
      writeBenchmarks: false,
    });
    // --no-bench (the old opt-out) is the default now; it changes nothing.
    expect(parseTrainArgs(['--no-bench']).writeBenchmarks).toBe(false);
    expect(parseTrainArgs(['--write-benchmarks']).writeBenchmarks).toBe(true);
  });

  it('reads the folder, the numbers and the flags, and refuses a bad number', () => {
    expect(parseTrainArgs(['--max-users', '40', 'some/ml', '--seed', '7', '--promote'])).toMatchObject({
      input: path.resolve('some/ml'),
      maxUsers: 40,
      seed: 7,
      promote: true,
    });
    expect(() => parseTrainArgs(['--seed', 'x'])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => parseTrainArgs(['--max-users', '0'])).toThrow(/--max-users is '0'; it must be a whole number of at least 1/);
  });
});
