import { FrecError } from '@frec/core';

/** The codes the model registry raises, beside core's. */
export const ModelRegistryErrorCode = { MODEL_REGISTRY_ERROR: 'MODEL_REGISTRY_ERROR' } as const;
/** One of the model registry's error codes. */
export type ModelRegistryErrorCode = (typeof ModelRegistryErrorCode)[keyof typeof ModelRegistryErrorCode];

/** A MODEL_REGISTRY_ERROR: what went wrong, how to fix it, and which model. */
export function modelRegistryError(message: string, hint: string, where: Record<string, string | number | undefined> = {}): FrecError {
  return new FrecError(ModelRegistryErrorCode.MODEL_REGISTRY_ERROR, message, { hint, where });
}
