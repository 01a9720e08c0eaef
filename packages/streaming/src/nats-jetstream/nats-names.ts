/**
 * Names on NATS: subject tokens, consumer and KV key tokens allow letters, digits, `-` and `_`
 * safely, so a topic or group name is written with every other byte (and `_` itself) as `_XX`
 * (upper-case hex of its UTF-8 bytes). The encoding is one-to-one, so two topics never share a subject.
 */
export function token(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out || '_';
}

/** Decodes `token`. */
export function untoken(t: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '_' && /^[0-9A-F]{2}$/.test(t.slice(i + 1, i + 3))) {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(t.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The subject of a topic, or of one partition of it. */
export function subjectOf(prefix: string, topic: string, partition?: number): string {
  return partition === undefined ? `${prefix}.${token(topic)}` : `${prefix}.${token(topic)}.p${partition}`;
}

/** Where dead-lettered messages of a topic (partition) go; `_DLQ` is no `token()` output, so no topic's subject. */
export function deadSubjectOf(prefix: string, topic: string, partition?: number): string {
  return partition === undefined ? `${prefix}._DLQ.${token(topic)}` : `${prefix}._DLQ.${token(topic)}.p${partition}`;
}

/** The durable pull consumer of a group (on one partition). */
export function durableOf(group: string, partition?: number): string {
  return partition === undefined ? token(group) : `${token(group)}_p${partition}`;
}
