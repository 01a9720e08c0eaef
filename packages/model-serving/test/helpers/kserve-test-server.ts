import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';

/** What the test server saw, to assert on the wire format. */
export interface SeenRequest {
  path: string;
  binary: boolean;
  headerLength?: number;
}

/**
 * A KServe v2 (Open Inference Protocol) HTTP server for tests, backed by a real ONNX session:
 * /v2/health/ready, /v2/models/{name}[/versions/{v}], /v2/models/{name}/infer in JSON or with
 * the binary tensor data extension — the request and response shapes Triton uses.
 */
export async function startKServeServer(options: {
  model: string;
  onnx: Uint8Array;
  inputName?: string;
  outputName?: string;
  dim: number;
}) {
  const session = await ort.InferenceSession.create(options.onnx);
  const input = options.inputName ?? 'x';
  const output = options.outputName ?? 'score';
  const seen: SeenRequest[] = [];
  const state = { ready: true, hangMs: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = req.url ?? '';
    const json = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (url === '/v2/health/ready') return json(state.ready ? 200 : 503, {});
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/infer)?$/.exec(url);
    if (!m) return json(404, { error: `unknown path ${url}` });
    if (m[1] !== options.model) return json(404, { error: `Request for unknown model: '${m[1]}' is not found` });
    if (!m[3]) {
      return json(200, {
        name: options.model,
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: input, datatype: 'FP32', shape: [-1, options.dim] }],
        outputs: [{ name: output, datatype: 'FP32', shape: [-1, 1] }],
      });
    }
    if (state.hangMs > 0) await new Promise((r) => setTimeout(r, state.hangMs));
    const headerLength = req.headers['inference-header-content-length'];
    const binary = headerLength !== undefined;
    seen.push({ path: url, binary, headerLength: binary ? Number(headerLength) : undefined });
    const jsonPart = binary ? body.subarray(0, Number(headerLength)) : body;
    const parsed = JSON.parse(jsonPart.toString('utf8')) as {
      inputs: Array<{ name: string; shape: number[]; datatype: string; data?: number[]; parameters?: { binary_data_size?: number } }>;
      outputs?: Array<{ name: string; parameters?: { binary_data?: boolean } }>;
    };
    let offset = jsonPart.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of parsed.inputs) {
      if (t.datatype !== 'FP32') return json(400, { error: `input '${t.name}' has datatype ${t.datatype}, expected FP32` });
      let data: Float32Array;
      const size = t.parameters?.binary_data_size;
      if (size !== undefined) {
        data = new Float32Array(new Uint8Array(body.subarray(offset, offset + size)).buffer);
        offset += size;
      } else data = Float32Array.from(t.data ?? []);
      if (t.shape[1] !== options.dim) return json(400, { error: `input '${t.name}' has shape [${t.shape}], expected [-1,${options.dim}]` });
      feeds[t.name] = new ort.Tensor('float32', data, t.shape);
    }
    const out = await session.run(feeds);
    const scores = out[output]!.data as Float32Array;
    const wantBinary = parsed.outputs?.find((o) => o.name === output)?.parameters?.binary_data === true;
    const outMeta = { name: output, datatype: 'FP32', shape: out[output]!.dims };
    if (!wantBinary) return json(200, { model_name: options.model, outputs: [{ ...outMeta, data: Array.from(scores) }] });
    const header = Buffer.from(
      JSON.stringify({ model_name: options.model, outputs: [{ ...outMeta, parameters: { binary_data_size: scores.byteLength } }] }),
    );
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) });
    res.end(Buffer.concat([header, Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength)]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await session.release();
    },
  };
}
