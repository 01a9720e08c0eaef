import { Redis } from 'ioredis';
const keys = Array.from({ length: 500 }, (_, i) => `frec-prof:item-${i}`);
const plain = new Redis('redis://127.0.0.1:6379');
const auto = new Redis('redis://127.0.0.1:6379', { enableAutoPipelining: true });
const p = plain.pipeline(); for (const k of keys) p.set(k, Buffer.alloc(190, 7)); await p.exec();
async function t(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await fn();
  const t0 = performance.now(); for (let i = 0; i < 1000; i++) await fn(); console.log(name, ((performance.now() - t0) / 1000).toFixed(3));
}
for (let r = 0; r < 2; r++) {
await t('plain mgetBuffer', () => plain.mgetBuffer(keys));
await t('auto mgetBuffer', () => auto.mgetBuffer(keys));
await t('plain mgetBuffer fresh keys', () => plain.mgetBuffer(keys.map((k) => k + '')));
await t('plain mgetBuffer built keys', () => { const ks = new Array(500); for (let i = 0; i < 500; i++) ks[i] = 'frec-prof:item-' + i; return plain.mgetBuffer(ks); });
}
await plain.del(...keys); plain.disconnect(); auto.disconnect();
