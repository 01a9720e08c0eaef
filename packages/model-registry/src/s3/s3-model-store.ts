import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { ModelStore } from '../model-store.js';

type S3Module = typeof import('@aws-sdk/client-s3');
// The AWS SDK is large: load it only when an S3 registry is used, so local registries start fast.
let sdk: Promise<S3Module> | undefined;
const loadSdk = (): Promise<S3Module> => (sdk ??= import('@aws-sdk/client-s3'));

/** Options of an S3 (or S3-compatible) model store. */
export interface S3ModelStoreOptions {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
}

/** Model versions under an S3 prefix, for registries shared by training and serving machines. */
export class S3ModelStore implements ModelStore {
  private client: Promise<{ s3: S3Client; sdk: S3Module }> | undefined;
  constructor(private readonly options: S3ModelStoreOptions) {}

  private connect(): Promise<{ s3: S3Client; sdk: S3Module }> {
    this.client ??= loadSdk().then((m) => {
      const cfg: S3ClientConfig = { region: this.options.region ?? process.env.AWS_REGION ?? 'us-east-1' };
      if (this.options.endpoint) Object.assign(cfg, { endpoint: this.options.endpoint, forcePathStyle: true });
      return { s3: new m.S3Client(cfg), sdk: m };
    });
    return this.client;
  }

  get location(): string {
    return `s3://${this.options.bucket}/${this.options.prefix}`;
  }

  private key(k: string): string {
    return this.options.prefix ? `${this.options.prefix.replace(/\/$/, '')}/${k}` : k;
  }

  async read(key: string): Promise<Uint8Array | null> {
    try {
      const { s3, sdk: m } = await this.connect();
      const res = await s3.send(new m.GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw err;
    }
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const { s3, sdk: m } = await this.connect();
    await s3.send(new m.PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: data }));
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    const { s3, sdk: m } = await this.connect();
    try {
      await s3.send(new m.PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: data, IfNoneMatch: '*' }));
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
    const { s3, sdk: m } = await this.connect();
    let token: string | undefined;
    do {
      const res = await s3.send(
        new m.ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.key(prefix), ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
