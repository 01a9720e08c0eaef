import { ErrorCode, FrecError } from '@frec/core';
import type { FloatTensor } from '../ranker.js';

/** A tensor's description in KServe v2 model metadata. */
export interface KServeTensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** GET /v2/models/{name} response. */
export interface KServeModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: KServeTensorMetadata[];
  outputs: KServeTensorMetadata[];
}

/** Options of the KServe v2 client. */
export interface KServeClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 (Triton's HTTP port). */
  url: string;
  /** Use the binary tensor data extension (default true): no float-to-text round trip. */
  binary?: boolean;
  /** Per-call timeout in milliseconds (default 1000). */
  timeoutMs?: number;
}

const HEADER_LENGTH = 'inference-header-content-length';

/**
 * A small client for the KServe v2 (Open Inference Protocol) HTTP API that Triton serves:
 * readiness, model metadata and FP32 inference, with the binary tensor data extension.
 * No official Node client exists, so this speaks the protocol over fetch.
 */
export class KServeClient {
  private readonly url: string;
  private readonly binary: boolean;
  private readonly timeoutMs: number;

  constructor(options: KServeClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.binary = options.binary ?? true;
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  /** True when the server answers 200 on /v2/health/ready. */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/v2/health/ready`, { signal: this.signal(signal) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** The model's metadata (inputs, outputs, versions). */
  async metadata(model: string, version?: string): Promise<KServeModelMetadata> {
    const res = await this.call(`${this.modelPath(model, version)}`, { method: 'GET' });
    return (await res.json()) as KServeModelMetadata;
  }

  /** Runs inference with FP32 inputs and returns the requested FP32 outputs by name. */
  async infer(
    model: string,
    inputs: Record<string, FloatTensor>,
    outputs: readonly string[],
    options: { version?: string; signal?: AbortSignal } = {},
  ): Promise<Record<string, FloatTensor>> {
    const path = `${this.modelPath(model, options.version)}/infer`;
    const names = Object.keys(inputs);
    if (!this.binary) {
      const body = {
        inputs: names.map((name) => ({ name, shape: inputs[name]!.dims, datatype: 'FP32', data: Array.from(inputs[name]!.data) })),
        outputs: outputs.map((name) => ({ name })),
      };
      const res = await this.call(
        path,
        { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
        options.signal,
      );
      return parseJsonOutputs((await res.json()) as InferResponse);
    }
    const header = {
      inputs: names.map((name) => ({
        name,
        shape: inputs[name]!.dims,
        datatype: 'FP32',
        parameters: { binary_data_size: inputs[name]!.data.byteLength },
      })),
      outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })),
    };
    const json = Buffer.from(JSON.stringify(header));
    const parts: Uint8Array[] = [json];
    for (const name of names) {
      const d = inputs[name]!.data;
      parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    const res = await this.call(
      path,
      {
        method: 'POST',
        body: Buffer.concat(parts),
        headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(json.byteLength) },
      },
      options.signal,
    );
    const buf = Buffer.from(await res.arrayBuffer());
    const headerLength = res.headers.get(HEADER_LENGTH);
    if (headerLength === null) return parseJsonOutputs(JSON.parse(buf.toString('utf8')) as InferResponse);
    const jsonLength = Number(headerLength);
    const parsed = JSON.parse(buf.subarray(0, jsonLength).toString('utf8')) as InferResponse;
    let offset = jsonLength;
    const result: Record<string, FloatTensor> = {};
    for (const out of parsed.outputs) {
      const size = out.parameters?.binary_data_size;
      if (size === undefined) {
        result[out.name] = { data: Float32Array.from(out.data ?? []), dims: out.shape };
        continue;
      }
      // Copy: the response buffer's offset need not be 4-byte aligned.
      const bytes = new Uint8Array(buf.subarray(offset, offset + size));
      offset += size;
      result[out.name] = { data: new Float32Array(bytes.buffer, 0, size / 4), dims: out.shape };
    }
    return result;
  }

  private modelPath(model: string, version?: string): string {
    return `/v2/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, t]) : t;
  }

  private async call(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, { ...init, signal: this.signal(signal) });
    } catch (err) {
      throw new FrecError(ErrorCode.INTERNAL, `Triton/KServe call ${path} at ${this.url} failed: ${(err as Error).message}.`, {
        hint: 'Check that the inference server is running and reachable, or raise the ranking timeout.',
        where: { url: this.url, path },
        cause: err,
      });
    }
    if (res.status !== 200) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the raw text
      }
      throw new FrecError(ErrorCode.INTERNAL, `Triton/KServe call ${path} answered ${res.status}: ${message}`, {
        hint: 'Check the model name, version and input shapes against GET /v2/models/{name}.',
        where: { url: this.url, path, status: res.status },
      });
    }
    return res;
  }
}

interface InferResponse {
  model_name?: string;
  outputs: Array<{ name: string; shape: number[]; datatype: string; data?: number[]; parameters?: { binary_data_size?: number } }>;
}

function parseJsonOutputs(res: InferResponse): Record<string, FloatTensor> {
  const result: Record<string, FloatTensor> = {};
  for (const out of res.outputs) result[out.name] = { data: Float32Array.from(out.data ?? []), dims: out.shape };
  return result;
}
