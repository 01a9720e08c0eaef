import { FrecError, ErrorCode } from '../../errors.js';
import type { RegistryData } from '../registry-data.js';
import type { RegistrySnapshot, RegistryStore } from '../registry-store.js';

/** Keeps the registry in one S3 object, written with a conditional PUT (If-Match on the ETag). */
export class S3RegistryStore implements RegistryStore {
  readonly location: string;
  constructor(uri: string, _options: { endpoint?: string; region?: string }) {
    this.location = uri;
  }
  async read(): Promise<RegistrySnapshot | null> {
    throw new FrecError(ErrorCode.NOT_IMPLEMENTED, 'S3 registry is not implemented yet.');
  }
  async write(_data: RegistryData, _expected: string | null): Promise<RegistrySnapshot> {
    throw new FrecError(ErrorCode.NOT_IMPLEMENTED, 'S3 registry is not implemented yet.');
  }
  async delete(): Promise<void> {
    throw new FrecError(ErrorCode.NOT_IMPLEMENTED, 'S3 registry is not implemented yet.');
  }
}
