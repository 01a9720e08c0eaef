/**
 * Serializes parameters to JSON with every Float32Array as base64 little-endian bytes, so a saved
 * model reloads bit for bit (JSON numbers would round-trip through float64 text).
 */
export function serializeParams(params: object): string {
  return JSON.stringify(params, (_key, value: unknown) => {
    if (value instanceof Float32Array) {
      return { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    }
    return value;
  });
}

/** Inverse of serializeParams. */
export function deserializeParams<P extends object>(json: string): P {
  return JSON.parse(json, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$f32' in value) {
      const buf = Buffer.from((value as { $f32: string }).$f32, 'base64');
      const out = new Float32Array(buf.byteLength / 4);
      new Uint8Array(out.buffer).set(buf);
      return out;
    }
    return value;
  }) as P;
}
