/** Dot products of one embedding with every row of a row-major matrix. */
export function scoreAll<T extends Float32Array | Float64Array = Float32Array>(
  matrix: Float32Array,
  dim: number,
  vec: Float32Array,
  vecOffset = 0,
  out: T = new Float32Array(matrix.length / dim) as T,
): T {
  // Four rows at a time: one row's sum is a chain of dependent adds, so four independent chains run
  // twice as fast. Each row still sums in feature order, so the scores are the same bits.
  const n = out.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o0 = i * dim,
      o1 = o0 + dim,
      o2 = o1 + dim,
      o3 = o2 + dim;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let f = 0; f < dim; f++) {
      const v = vec[vecOffset + f]!;
      s0 += matrix[o0 + f]! * v;
      s1 += matrix[o1 + f]! * v;
      s2 += matrix[o2 + f]! * v;
      s3 += matrix[o3 + f]! * v;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (let o = i * dim; i < n; i++, o += dim) {
    let s = 0;
    for (let f = 0; f < dim; f++) s += matrix[o + f]! * vec[vecOffset + f]!;
    out[i] = s;
  }
  return out;
}
