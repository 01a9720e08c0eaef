import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FrecError, ErrorCode } from '@frec/core';
import { exportRankerOnnx, RANKER_IO } from './dcn-onnx.js';
import type { DcnParams } from '../models/types.js';

/** One input or output tensor of a Triton model, without the batch dimension. */
export interface TritonTensor {
  name: string;
  dataType: 'TYPE_FP32' | 'TYPE_INT64';
  dims: number[];
}

/** What goes into a Triton `config.pbtxt`. */
export interface TritonModelConfig {
  name: string;
  /** Largest batch Triton may form; the ONNX graph's first dimension must be dynamic. */
  maxBatchSize: number;
  inputs: TritonTensor[];
  outputs: TritonTensor[];
  /** Batch sizes the dynamic batcher prefers to form. */
  preferredBatchSizes: number[];
  /** How long the dynamic batcher waits to fill a batch. */
  maxQueueDelayMicroseconds: number;
  /** Model instances on CPU. */
  instanceCount: number;
}

/** Renders a Triton model configuration (protobuf text format) for the onnxruntime backend. */
export function renderTritonConfig(cfg: TritonModelConfig): string {
  const tensor = (t: TritonTensor): string =>
    `  {\n    name: "${t.name}"\n    data_type: ${t.dataType}\n    dims: [ ${t.dims.join(', ')} ]\n  }`;
  return [
    `name: "${cfg.name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${cfg.maxBatchSize}`,
    `input [\n${cfg.inputs.map(tensor).join(',\n')}\n]`,
    `output [\n${cfg.outputs.map(tensor).join(',\n')}\n]`,
    `dynamic_batching {\n  preferred_batch_size: [ ${cfg.preferredBatchSizes.join(', ')} ]\n` +
      `  max_queue_delay_microseconds: ${cfg.maxQueueDelayMicroseconds}\n}`,
    `instance_group [\n  {\n    count: ${cfg.instanceCount}\n    kind: KIND_CPU\n  }\n]`,
    'version_policy: { latest: { num_versions: 1 } }',
    '',
  ].join('\n');
}

/** Options of writeTritonRanker. */
export interface TritonRankerOptions {
  /** Root of the Triton model repository. */
  repoDir: string;
  /** Model folder name. Default 'streamrec_ranker'. */
  modelName?: string;
  /** Numeric version folder. Default 1. */
  version?: number;
  /** Default 1024. */
  maxBatchSize?: number;
  /** Default [64, 256]. */
  preferredBatchSizes?: number[];
  /** Default 200. */
  maxQueueDelayMicroseconds?: number;
  /** Default 1. */
  instanceCount?: number;
}

/** Paths and checksum of a written Triton model. */
export interface TritonModelFiles {
  modelDir: string;
  modelPath: string;
  configPath: string;
  /** sha256 of model.onnx, hex. */
  sha256: string;
}

/** One file of an exported artifact set, relative to its root. */
export interface ArtifactFile {
  path: string;
  data: Uint8Array;
}

/**
 * The files of a Triton repository entry for the ranker, in memory: `<model>/<version>/model.onnx` and
 * `<model>/config.pbtxt` (onnxruntime_onnx, dynamic batching). Use it to store them as registry artifacts.
 */
export function tritonRankerFiles(
  params: DcnParams,
  opts: Omit<TritonRankerOptions, 'repoDir'> = {},
): { name: string; version: number; files: ArtifactFile[] } {
  const name = opts.modelName ?? 'streamrec_ranker';
  const version = opts.version ?? 1;
  const maxBatchSize = opts.maxBatchSize ?? 1024;
  const preferred = opts.preferredBatchSizes ?? [64, 256];
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.') || !Number.isInteger(version) || version < 1) {
    throw new FrecError(ErrorCode.INVALID_REQUEST, `Triton model '${name}' version ${version} is not a valid repository entry.`, {
      where: { model: name },
      hint: 'Use a name of letters, digits, _ . - and a positive integer version.',
    });
  }
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || preferred.some((b) => b > maxBatchSize || b < 1)) {
    throw new FrecError(
      ErrorCode.INVALID_REQUEST,
      `Triton preferred batch sizes [${preferred.join(', ')}] must lie in [1, max_batch_size=${maxBatchSize}].`,
      {
        where: { model: name },
        hint: 'Lower preferredBatchSizes or raise maxBatchSize.',
      },
    );
  }
  const config = renderTritonConfig({
    name,
    maxBatchSize,
    inputs: [{ name: RANKER_IO.input, dataType: 'TYPE_FP32', dims: [params.d] }],
    outputs: [{ name: RANKER_IO.output, dataType: 'TYPE_FP32', dims: [1] }],
    preferredBatchSizes: preferred,
    maxQueueDelayMicroseconds: opts.maxQueueDelayMicroseconds ?? 200,
    instanceCount: opts.instanceCount ?? 1,
  });
  return {
    name,
    version,
    files: [
      { path: `${name}/${version}/model.onnx`, data: exportRankerOnnx(params) },
      { path: `${name}/config.pbtxt`, data: new TextEncoder().encode(config) },
    ],
  };
}

/**
 * Writes the ranker as a Triton model repository entry: `<repo>/<model>/<version>/model.onnx` and
 * `<repo>/<model>/config.pbtxt` (onnxruntime_onnx, dynamic batching).
 *
 * @example
 * await writeTritonRanker(params, { repoDir: 'artifacts/triton' });
 */
export async function writeTritonRanker(params: DcnParams, opts: TritonRankerOptions): Promise<TritonModelFiles> {
  const { name, version, files } = tritonRankerFiles(params, opts);
  for (const f of files) {
    const file = path.join(opts.repoDir, f.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.data);
  }
  const modelDir = path.join(opts.repoDir, name);
  return {
    modelDir,
    modelPath: path.join(modelDir, String(version), 'model.onnx'),
    configPath: path.join(modelDir, 'config.pbtxt'),
    sha256: createHash('sha256').update(files[0]!.data).digest('hex'),
  };
}
