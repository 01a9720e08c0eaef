import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, RegistryError } from '../../errors.js';
import { decodeRegistry, encodeRegistry } from '../decode.js';
import type { RegistryData } from '../registry-data.js';
import type { RegistrySnapshot, RegistryStore } from '../registry-store.js';

const LOCK_STALE_MS = 30_000;

/**
 * Keeps the registry in one JSON file. A write takes an exclusive lock file, checks the
 * generation, writes a temp file and renames it over the old one, so readers never see half a file.
 */
export class LocalRegistryStore implements RegistryStore {
  readonly location: string;
  constructor(filePath: string) {
    this.location = path.resolve(filePath);
  }

  async read(): Promise<RegistrySnapshot | null> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const data = decodeRegistry(text, this.location);
    return { data, token: String(data.generation) };
  }

  async write(data: RegistryData, expectedToken: string | null): Promise<RegistrySnapshot> {
    await mkdir(path.dirname(this.location), { recursive: true });
    const release = await this.lock();
    try {
      const current = await this.read();
      const currentToken = current ? current.token : null;
      if (currentToken !== expectedToken) {
        throw new RegistryError(
          ErrorCode.REGISTRY_CONFLICT,
          `Registry at ${this.location} changed since it was read (generation ${expectedToken ?? 'none'} expected, found ${currentToken ?? 'none'}).`,
          { where: { file: this.location }, hint: 'Someone else applied meanwhile: run `frec plan` again and re-apply.' },
        );
      }
      const tmp = `${this.location}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, encodeRegistry(data));
      await rename(tmp, this.location);
      return { data, token: String(data.generation) };
    } finally {
      await release();
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
