import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ConfigError, ErrorCode, RegistryError } from '../../errors.js';
import { decodeRegistry, encodeRegistry } from '../decode.js';
import type { RegistryData } from '../registry-data.js';
import type { RegistrySnapshot, RegistryStore } from '../registry-store.js';

/** Options of the S3 registry: an endpoint for S3-compatible servers, a region, or a ready client. */
export interface S3RegistryStoreOptions {
  /** e.g. http://127.0.0.1:9000 for MinIO or moto; implies path-style addressing. */
  endpoint?: string;
  region?: string;
  /** A client built by the caller (credentials, retries); the other options are then ignored. */
  client?: S3Client;
}

/** Splits `s3://bucket/key` into its parts, refusing a URI without a bucket or key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) {
    throw new ConfigError(`Registry path '${uri}' is not a valid S3 URI.`, {
      where: { key: 'registry.path' },
      hint: 'Write it as s3://bucket/path/to/registry.json.',
    });
  }
  return { bucket: m[1]!, key: m[2]! };
}

const CONFLICT_HINT = 'Someone else applied meanwhile: run `frec plan` again and re-apply.';

/**
 * Keeps the registry in one S3 object. Every write is a conditional PUT: `If-Match` the ETag that
 * was read, or `If-None-Match: *` for the first write, so S3 itself rejects a write that would
 * lose someone else's update (HTTP 412), with no lock to leak.
 */
export class S3RegistryStore implements RegistryStore {
  readonly location: string;
  private readonly bucket: string;
  private readonly key: string;
  private readonly client: S3Client;

  constructor(uri: string, options: S3RegistryStoreOptions = {}) {
    this.location = uri;
    ({ bucket: this.bucket, key: this.key } = parseS3Uri(uri));
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      });
  }

  async read(): Promise<RegistrySnapshot | null> {
    let text: string;
    let etag: string | undefined;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      text = (await res.Body?.transformToString('utf8')) ?? '';
      etag = res.ETag;
    } catch (err) {
      if (statusOf(err) === 404 && nameOf(err) !== 'NoSuchBucket') return null;
      throw this.storageError('read', err);
    }
    if (!etag) {
      throw new RegistryError(
        ErrorCode.REGISTRY_UNAVAILABLE,
        `S3 returned ${this.location} without an ETag, so it cannot be written safely.`,
        {
          where: { file: this.location },
          hint: 'Use S3 or an S3-compatible server that returns ETags and supports conditional writes.',
        },
      );
    }
    return { data: decodeRegistry(text, this.location), token: etag };
  }

  async write(data: RegistryData, expectedToken: string | null): Promise<RegistrySnapshot> {
    const condition = expectedToken === null ? { IfNoneMatch: '*' } : { IfMatch: expectedToken };
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: encodeRegistry(data),
          ContentType: 'application/json',
          ...condition,
        }),
      );
      if (!res.ETag) throw new Error('PutObject returned no ETag');
      return { data, token: res.ETag };
    } catch (err) {
      const status = statusOf(err);
      // 412: the condition failed. 409: another conditional write to the key is in flight.
      // 404 on If-Match: the object was deleted since it was read.
      if (status === 412 || status === 409 || (status === 404 && expectedToken !== null && nameOf(err) !== 'NoSuchBucket')) {
        throw new RegistryError(
          ErrorCode.REGISTRY_CONFLICT,
          `Registry at ${this.location} changed since it was read (${expectedToken === null ? 'it now exists' : `ETag ${expectedToken} no longer current`}).`,
          { where: { file: this.location }, hint: CONFLICT_HINT, cause: err },
        );
      }
      throw this.storageError('write', err);
    }
  }

  async delete(): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
    } catch (err) {
      throw this.storageError('delete', err);
    }
  }

  private storageError(op: string, err: unknown): RegistryError {
    const name = nameOf(err);
    const detail = err instanceof Error ? err.message || name : String(err);
    if (name === 'NoSuchBucket') {
      return new RegistryError(
        ErrorCode.REGISTRY_NOT_FOUND,
        `Cannot ${op} registry ${this.location}: bucket '${this.bucket}' does not exist.`,
        {
          where: { file: this.location },
          hint: `Create the bucket '${this.bucket}' or fix registry.path in feature_store.yaml.`,
          cause: err,
        },
      );
    }
    return new RegistryError(ErrorCode.REGISTRY_UNAVAILABLE, `Cannot ${op} registry ${this.location}: ${detail}.`, {
      where: { file: this.location },
      hint: 'Check registry.s3_endpoint, the AWS credentials and network access to the bucket.',
      cause: err,
    });
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException
    ? err.$metadata.httpStatusCode
    : (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return (err as { name?: string })?.name ?? 'Error';
}
