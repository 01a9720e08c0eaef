/**
 * One array per distinct `features` list of recent requests. A client sends the same list on every
 * request, parsed into a new array each time; handing the SDK the same array lets its plan cache,
 * and this server's column-type and response-header caches, find their entry by identity instead of
 * joining the names into a key on every request (docs/profiles/feature-server.md).
 */
export class FeatureLists {
  private readonly lists: Array<readonly string[]> = [];
  private next = 0;

  /** `size`: how many distinct lists are kept; more shapes than that fall back to the general path's keyed caches. */
  constructor(private readonly size = 16) {}

  /** An array with the same names in the same order as `features`; the kept one when there is one. */
  canonical(features: readonly string[]): readonly string[] {
    const lists = this.lists;
    outer: for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      if (l.length !== features.length) continue;
      for (let j = 0; j < l.length; j++) if (l[j] !== features[j]) continue outer;
      return l;
    }
    // A copy, frozen: the kept array outlives this request's body and keys caches by identity.
    const kept = Object.freeze(features.slice());
    if (lists.length < this.size) lists.push(kept);
    else {
      lists[this.next] = kept;
      this.next = (this.next + 1) % this.size;
    }
    return kept;
  }
}
