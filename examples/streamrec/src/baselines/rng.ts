/** The seeded PRNG (mulberry32) StreamRec's baselines and evaluation draw from. */
export { seededRandom as mulberry32 } from '@frec/core/spi';
