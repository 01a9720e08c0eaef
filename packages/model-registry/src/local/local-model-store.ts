import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelStore } from '../model-store.js';

/** Model versions in a local folder (the default): one sub-folder per model and version. */
export class LocalModelStore implements ModelStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async read(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const f = this.file(key);
    await mkdir(path.dirname(f), { recursive: true });
    // Write then rename so a reader never sees half a manifest.
    const tmp = `${f}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, f);
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    const f = this.file(key);
    await mkdir(path.dirname(f), { recursive: true });
    try {
      await writeFile(f, data, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.file(prefix);
    try {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
        .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
