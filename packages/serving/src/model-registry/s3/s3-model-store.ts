import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ModelStore } from '../model-store.js';

/** Options of an S3 (or S3-compatible) model store. */
export interface S3ModelStoreOptions {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
}

/** Model versions under an S3 prefix, for registries shared by training and serving machines. */
export class S3ModelStore implements ModelStore {
  private readonly client: S3Client;
  constructor(private readonly options: S3ModelStoreOptions) {
    const cfg: S3ClientConfig = { region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' };
    if (options.endpoint) Object.assign(cfg, { endpoint: options.endpoint, forcePathStyle: true });
    this.client = new S3Client(cfg);
  }

  get location(): string {
    return `s3://${this.options.bucket}/${this.options.prefix}`;
  }

  private key(k: string): string {
    return this.options.prefix ? `${this.options.prefix.replace(/\/$/, '')}/${k}` : k;
  }

  async read(key: string): Promise<Uint8Array | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw err;
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: data }));
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: data, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const base = this.key('');
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
