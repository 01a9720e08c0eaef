import { ErrorCode, FrecError } from '@frec/core';

/** Training data handed to a StreamRec trainer has the wrong shape or non-finite values. */
export class ModelInputError extends FrecError {
  constructor(message: string, where: Record<string, string | number>, hint: string) {
    super(ErrorCode.INVALID_REQUEST, message, { where, hint });
    this.name = 'ModelInputError';
  }
}

/** Throws ModelInputError unless `arr` has `expected` entries. */
export function checkLength(model: string, field: string, arr: ArrayLike<number>, expected: number, shape: string): void {
  if (arr.length !== expected) {
    throw new ModelInputError(
      `${model}: ${field} has ${arr.length} values but ${expected} were expected (${shape}).`,
      { model, field },
      `Build ${field} as a row-major ${shape} Float32Array (see examples/streamrec/src/models/types.ts).`,
    );
  }
}

/** Throws ModelInputError at the first NaN or infinite value of `arr`, naming its row and column. */
export function checkFinite(model: string, field: string, arr: ArrayLike<number>, width: number): void {
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i]!)) {
      const row = width > 0 ? Math.floor(i / width) : i;
      const col = width > 0 ? i % width : 0;
      throw new ModelInputError(
        `${model}: ${field} holds ${arr[i]} at row ${row}, column ${col}.`,
        { model, field, row, column: col },
        'Fill missing feature values (e.g. with 0 or the column mean) before training.',
      );
    }
  }
}

/** Throws ModelInputError unless every index lies in [0, bound). */
export function checkIndexes(model: string, field: string, arr: Int32Array, bound: number): void {
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]!;
    if (v < 0 || v >= bound) {
      throw new ModelInputError(
        `${model}: ${field}[${i}] = ${v} is outside [0, ${bound}).`,
        { model, field, row: i },
        `Map ids to dense indexes below ${bound} (numUsers / numItems) before training.`,
      );
    }
  }
}
