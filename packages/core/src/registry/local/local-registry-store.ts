import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, RegistryError } from '../../errors.js';
import { decodeRegistry, encodeRegistry } from '../decode.js';
import type { RegistryData } from '../registry-data.js';
import type { RegistrySnapshot, RegistryStore } from '../registry-store.js';

const LOCK_STALE_MS = 30_000;

/** The token of a stored registry: a digest of its bytes, like S3's ETag, so checking it needs no parsing. */
function tokenOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Keeps the registry in one JSON file. A write takes an exclusive lock file, checks that the
 * file's bytes are still the ones the writer read (a digest, like S3's ETag), writes a temp file
 * and renames it over the old one, so readers never see half a file.
 */
export class LocalRegistryStore implements RegistryStore {
  readonly location: string;
  constructor(filePath: string) {
    this.location = path.resolve(filePath);
  }

  async read(): Promise<RegistrySnapshot | null> {
    const bytes = await this.readBytes();
    if (bytes === null) return null;
    return { data: decodeRegistry(bytes.toString('utf8'), this.location), token: tokenOf(bytes) };
  }

  async write(data: RegistryData, expectedToken: string | null): Promise<RegistrySnapshot> {
    await mkdir(path.dirname(this.location), { recursive: true });
    const release = await this.lock();
    try {
      const bytes = await this.readBytes();
      if ((bytes === null ? null : tokenOf(bytes)) !== expectedToken) {
        // Only on a mismatch is the file parsed: a damaged or newer file gets its own error.
        const found =
          bytes === null ? 'it was removed' : `it is now at generation ${decodeRegistry(bytes.toString('utf8'), this.location).generation}`;
        throw new RegistryError(
          ErrorCode.REGISTRY_CONFLICT,
          `Registry at ${this.location} changed since it was read (${expectedToken === null ? 'it was created meanwhile' : found}).`,
          {
            where: { file: this.location },
            hint: 'Someone else applied meanwhile: run `frec plan` again and re-apply.',
          },
        );
      }
      const text = encodeRegistry(data);
      const tmp = `${this.location}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.location);
      return { data, token: tokenOf(text) };
    } finally {
      await release();
    }
  }

  private async readBytes(): Promise<Buffer | null> {
    try {
      return await readFile(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(): Promise<void> {
    await rm(this.location, { force: true });
  }

  private async lock(): Promise<() => Promise<void>> {
    const lockPath = `${this.location}.lock`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const fh = await open(lockPath, 'wx');
        await fh.close();
        return async () => {
          await rm(lockPath, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A writer that crashed leaves its lock behind; an old lock is taken over.
        const s = await stat(lockPath).catch(() => null);
        if (s && Date.now() - s.mtimeMs > LOCK_STALE_MS) await rm(lockPath, { force: true });
        if (Date.now() > deadline) {
          throw new RegistryError(ErrorCode.REGISTRY_CONFLICT, `Registry lock ${lockPath} is held by another writer.`, {
            where: { file: lockPath },
            hint: 'Wait for the other apply to finish, or remove the lock file if no apply is running.',
          });
        }
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
  }
}
