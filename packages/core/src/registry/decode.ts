import { ErrorCode, RegistryError } from '../errors.js';
import { formatZodError } from '../definitions/specs.js';
import { REGISTRY_SCHEMA_VERSION, registryDataSchema, type RegistryData } from './registry-data.js';

/** Parses stored registry bytes, refusing corrupt data and files written by a newer frec. */
export function decodeRegistry(text: string, location: string): RegistryData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(ErrorCode.REGISTRY_CORRUPT, `Registry at ${location} is corrupt: not valid JSON (${(err as Error).message}).`, {
      where: { file: location },
      hint: 'Restore it from a backup or remove it and run `frec apply` again; frec will not overwrite it.',
    });
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > REGISTRY_SCHEMA_VERSION) {
    throw new RegistryError(
      ErrorCode.REGISTRY_VERSION_UNSUPPORTED,
      `Registry at ${location} has format version ${version}, newer than this frec supports (${REGISTRY_SCHEMA_VERSION}).`,
      { where: { file: location }, hint: 'Upgrade frec; this registry is left untouched.' },
    );
  }
  const parsed = registryDataSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegistryError(ErrorCode.REGISTRY_CORRUPT, `Registry at ${location} is corrupt: ${formatZodError(parsed.error)}.`, {
      where: { file: location },
      hint: 'Restore it from a backup or remove it and run `frec apply` again; frec will not overwrite it.',
    });
  }
  return parsed.data as RegistryData;
}

/** Serializes registry data as the stored, human-diffable JSON text. */
export function encodeRegistry(data: RegistryData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}
