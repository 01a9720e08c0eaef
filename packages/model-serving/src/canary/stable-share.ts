/**
 * A user's stable position in [0, 1): FNV-1a (32-bit) of `salt:userId`, finished with
 * MurmurHash3's fmix32 (FNV alone leaves ids that differ in their last digits clustered in the
 * high bits, which is where a share threshold looks). The same user always
 * lands in the same place, so growing a canary's share only adds users to it, and a different
 * salt (the candidate's version) picks a different set of users for the next canary.
 */
export function stableShare(userId: string | number, salt = ''): number {
  const s = `${salt}:${userId}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
