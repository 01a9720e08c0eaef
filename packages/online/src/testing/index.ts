/**
 * @frec/online/testing: helpers for tests and benchmarks that run against a real Redis, kept out of
 * the store's public entry point.
 */
export { deleteKeysWithPrefix } from '../redis/redis-standalone.js';
