import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CronExpressionParser } from 'cron-parser';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FeatureStore, parseRepoConfig } from '@frec/core';
import { apiKeysFromEnv, createFeatureServer, serverConfigOf } from '@frec/feature-server';
import { duckdbOfflineStoreConfigSchema } from '@frec/offline';
import { redisOnlineStoreConfigSchema } from '@frec/online';
import { buildProgram } from '@frec/cli';
import { checksumOf, configMap } from '../src/config.js';
import { TRAINING_COMMAND } from '../src/cron-jobs.js';
import { NAMES } from '../src/pod-spec.js';
import { renderFiles } from '../src/render.js';
import { STREAM_WORKER } from '../src/stream-worker.js';
import { serveMetrics } from '../../packages/cli/src/commands/stream-metrics.js';
import { productionValues } from '../src/values.js';
import { RetrievalScoreRanker } from '@frec/model-serving/ranking';
import { InMemoryCatalog, Recommender, createRecommendServer } from '../../examples/streamrec/src/recommender/index.js';
import { MANIFESTS, MODELS, ROOT, checkedInDocs, ofKind, podSpecOf, quantity } from './helpers.js';

const docs = checkedInDocs();
const deployments = ofKind(docs, 'Deployment');
const cronJobs = ofKind(docs, 'CronJob');
const workloads = [...deployments, ...cronJobs];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('rendered manifests', () => {
  it('the checked-in deploy/manifests equal a fresh render, file for file', async () => {
    const fresh = await renderFiles(productionValues);
    expect(readdirSync(MANIFESTS).sort()).toEqual([...fresh.keys()].sort());
    for (const [file, text] of fresh) expect(readFileSync(path.join(MANIFESTS, file), 'utf8'), file).toBe(text);
  });

  it('every checked-in document validates against its kind schema (kubernetes-models; prometheus-operator CRD schemas)', () => {
    expect(docs.length).toBeGreaterThan(15);
    for (const { file, obj } of docs) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `${file}: no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
      expect(() => new Model!(obj as never).validate(), `${file}: ${obj.kind}/${obj.metadata.name}`).not.toThrow();
      expect(obj.metadata.name, `${obj.kind} name`).toMatch(DNS_LABEL);
      if (obj.kind !== 'Namespace') expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name} namespace`).toMatch(DNS_LABEL);
    }
  });

  it('the schema check rejects what the API server would: a wrong type, a missing selector, a bad quantity, a bad duration', () => {
    const broken = (kind: string, edit: (o: any) => void) => {
      const o = structuredClone(docs.find((d) => d.obj.kind === kind)!.obj);
      edit(o);
      return () => new MODELS[`${o.apiVersion}/${o.kind}`]!(o as never).validate();
    };
    expect(broken('Deployment', (o) => (o.spec.replicas = 'three'))).toThrow(/replicas must be integer/);
    expect(broken('Deployment', (o) => delete o.spec.selector)).toThrow(/selector/);
    expect(broken('Deployment', (o) => (o.spec.template.spec.containers[0].resources.limits.memory = 'lots'))).toThrow(/quantity/);
    expect(broken('PrometheusRule', (o) => (o.spec.groups[0].rules[0].for = '10 minutes'))).toThrow(/for must match pattern/);
    expect(broken('HorizontalPodAutoscaler', (o) => delete o.spec.scaleTargetRef)).toThrow(/scaleTargetRef/);
  });

  it('kustomization.yaml lists every manifest file', () => {
    const k = readFileSync(path.join(MANIFESTS, 'kustomization.yaml'), 'utf8');
    const listed = [...k.matchAll(/^ {2}- (\S+\.yaml)$/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...new Set(docs.map((d) => d.file))].sort());
  });
});

describe('workloads', () => {
  const dockerUid = Number(/^USER (\d+)/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))![1]);

  it('every pod runs as the image non-root UID, with RuntimeDefault seccomp, on a read-only root filesystem, with no privilege', () => {
    expect(workloads.length).toBe(5);
    for (const w of workloads) {
      const pod = podSpecOf(w);
      expect(pod.securityContext, w.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: dockerUid,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext, `${w.metadata.name}/${c.name}`).toEqual({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        // A read-only root needs a writable /tmp (tsx's cache, DuckDB spill, npm's cache).
        const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
        expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, `${c.name} /tmp`).toBeDefined();
      }
    }
  });

  it('every container requests and limits CPU and memory, limits at least the requests, and sizes the V8 heap under the limit', () => {
    for (const w of workloads) {
      for (const c of podSpecOf(w).containers) {
        const { requests, limits } = c.resources;
        for (const r of ['cpu', 'memory']) {
          expect(quantity(limits[r]), `${c.name} ${r}`).toBeGreaterThanOrEqual(quantity(requests[r]));
          expect(quantity(requests[r])).toBeGreaterThan(0);
        }
        const heapMb = Number(/--max-old-space-size=(\d+)/.exec(c.env.find((e: any) => e.name === 'NODE_OPTIONS').value)![1]);
        expect(heapMb * 2 ** 20).toBeLessThan(quantity(limits.memory));
      }
    }
  });

  it('every Deployment, the stream worker included, has startup, readiness and liveness probes on a port its container names', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['frec-feature-server', STREAM_WORKER, 'streamrec-recommender']);
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) {
        const portNames = c.ports.map((p: any) => p.name);
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          expect(c[probe]?.httpGet, `${d.metadata.name} ${probe}`).toBeDefined();
          expect(portNames).toContain(c[probe].httpGet.port);
        }
      }
    }
  });

  it("the stream worker's probes and scrapes hit its own metrics server: the port `frec stream --metrics-port` binds, /health, /ready and /metrics answer", async () => {
    const w = deployments.find((d) => d.metadata.name === STREAM_WORKER).spec.template.spec.containers[0];
    const cmd: string[] = w.command;
    const port = Number(cmd[cmd.indexOf('--metrics-port') + 1]);
    expect(w.ports).toEqual([{ name: 'metrics', containerPort: port, protocol: 'TCP' }]);
    expect([w.startupProbe.httpGet.path, w.livenessProbe.httpGet.path, w.readinessProbe.httpGet.path]).toEqual([
      '/health',
      '/health',
      '/ready',
    ]);
    const monitor = ofKind(docs, 'PodMonitor').find((m) => m.metadata.name === STREAM_WORKER);
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    let consuming = true;
    const server = await serveMetrics(new Registry(), 0, '127.0.0.1', () => consuming);
    const status = (route: string) => fetch(`http://127.0.0.1:${server.port}${route}`).then((r) => r.status);
    try {
      for (const route of [w.startupProbe.httpGet.path, w.livenessProbe.httpGet.path, w.readinessProbe.httpGet.path, '/metrics'])
        expect(await status(route), route).toBe(200);
      consuming = false;
      expect(await status(w.readinessProbe.httpGet.path)).toBe(503);
      expect(await status(w.livenessProbe.httpGet.path)).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("the feature server's probe routes exist on a real feature server: /ready answers (503 until applied), /health answers 200", async () => {
    const fs = deployments.find((d) => d.metadata.name === 'frec-feature-server').spec.template.spec.containers[0];
    expect([fs.readinessProbe.httpGet.path, fs.livenessProbe.httpGet.path]).toEqual(['/ready', '/health']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-deploy-'));
    try {
      writeFileSync(
        path.join(dir, 'feature_store.yaml'),
        'project: probes\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n  path: data/online.db\n',
      );
      const store = await FeatureStore.open({ repoPath: dir });
      const server = await createFeatureServer(store, { apiKeys: ['k'], logLevel: 'fatal' });
      try {
        expect((await server.app.inject({ url: fs.livenessProbe.httpGet.path })).statusCode).toBe(200);
        // Without an applied registry the server is alive but not ready; the probe needs no API key.
        expect((await server.app.inject({ url: fs.readinessProbe.httpGet.path })).statusCode).toBe(503);
        expect((await server.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      } finally {
        await server.close();
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the recommender's probe routes exist on a real recommender server: /ready for readiness (503 once draining), /health for liveness", async () => {
    const c = deployments.find((d) => d.metadata.name === 'streamrec-recommender').spec.template.spec.containers[0];
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/ready',
      '/health',
      '/health',
    ]);
    const ranker = new RetrievalScoreRanker();
    const rec = new Recommender({
      catalog: new InMemoryCatalog([{ id: 1 }]),
      sources: [],
      features: async () => ({ vector: new Float32Array(0), recentItems: [], interactionCount: 0, stale: false }),
      defaultFeatures: () => ({ vector: new Float32Array(0), recentItems: [], interactionCount: 0, stale: true }),
      ranker,
      fallbackRanker: ranker,
      buildBatch: (_f, cands) => ({ size: cands.length, inputs: {} }),
      popular: () => [{ itemId: 1, score: 1 }],
    });
    const app = createRecommendServer({ recommender: rec });
    try {
      expect((await app.inject({ url: c.readinessProbe.httpGet.path })).statusCode).toBe(200);
      app.beginDrain();
      expect((await app.inject({ url: c.readinessProbe.httpGet.path })).statusCode).toBe(503);
      expect((await app.inject({ url: c.livenessProbe.httpGet.path })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('the commands use only subcommands and flags the frec CLI defines', async () => {
    const program = await buildProgram();
    const globals = program.options.map((o) => o.long);
    for (const w of workloads) {
      const cmd: string[] = podSpecOf(w).containers[0].command;
      if (cmd[1] !== 'packages/cli/bin/frec.js') continue;
      expect(globals).toContain(cmd[2]);
      const sub = program.commands.find((c) => c.name() === cmd[4]);
      expect(sub, `${w.metadata.name}: frec ${cmd[4]}`).toBeDefined();
      const flags = sub!.options.map((o) => o.long);
      for (const arg of cmd.slice(5).filter((a) => a.startsWith('--'))) expect(flags, `frec ${cmd[4]} ${arg}`).toContain(arg);
    }
  });

  it("the recommender's command runs StreamRec's serve entry point with flags it reads", () => {
    const rec = deployments.find((d) => d.metadata.name === 'streamrec-recommender').spec.template.spec.containers[0];
    expect(rec.command.slice(0, 4)).toEqual(['node', '--import', 'tsx', 'examples/streamrec/src/serve/demo.ts']);
    const source = readFileSync(path.join(ROOT, rec.command[3]), 'utf8');
    for (const f of rec.command.slice(4).filter((a: string) => a.startsWith('--')))
      expect(source, f).toMatch(new RegExp(`(flag|value)\\('${f}'\\)`));
  });

  it('Services select the pods of a Deployment and target a port its containers name', () => {
    const services = ofKind(docs, 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['frec-feature-server', 'streamrec-recommender']);
    for (const s of services) {
      const matching = deployments.filter((d) =>
        Object.entries(s.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(
        matching.map((d) => d.metadata.name),
        s.metadata.name,
      ).toEqual([s.metadata.name]);
      const ports = matching[0].spec.template.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
      for (const p of s.spec.ports) expect(ports).toContain(p.targetPort);
    }
  });

  it('autoscalers target existing Deployments, on CPU plus a metric the adapter serves; PDBs leave room to drain a node', () => {
    const adapter = ofKind(docs, 'ConfigMap').find((c) => c.metadata.name === 'frec-prometheus-adapter-rules');
    const served = [...adapter.data['config.yaml'].matchAll(/as: (\S+)/g)].map((m) => m[1]);
    const hpas = ofKind(docs, 'HorizontalPodAutoscaler');
    expect(hpas).toHaveLength(3);
    for (const h of hpas) {
      const target = deployments.find(
        (d) => d.metadata.name === h.spec.scaleTargetRef.name && d.metadata.namespace === h.metadata.namespace,
      );
      expect(target, h.metadata.name).toBeDefined();
      expect(h.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
      expect(target.spec.replicas).toBe(h.spec.minReplicas);
      for (const m of h.spec.metrics.filter((x: any) => x.type !== 'Resource'))
        expect(served).toContain((m.pods ?? m.external).metric.name);
    }
    expect(hpas.find((h) => h.metadata.name === STREAM_WORKER).spec.metrics.map((m: any) => m.type)).toEqual(['External']);
    for (const name of ['frec-feature-server', 'streamrec-recommender'])
      expect(hpas.find((h) => h.metadata.name === name).spec.metrics.map((m: any) => m.type)).toEqual(['Resource', 'Pods']);
    for (const p of ofKind(docs, 'PodDisruptionBudget')) {
      const d = deployments.find((x) =>
        Object.entries(p.spec.selector.matchLabels).every(([k, v]) => x.spec.template.metadata.labels[k] === v),
      );
      expect(d, p.metadata.name).toBeDefined();
      const min =
        p.spec.minAvailable === undefined
          ? d.spec.replicas - p.spec.maxUnavailable
          : Math.ceil((parseInt(p.spec.minAvailable) / 100) * d.spec.replicas);
      expect(min, `${p.metadata.name} at minReplicas`).toBeLessThan(d.spec.replicas);
      expect(min).toBeGreaterThan(0);
    }
  });

  it('the daily CronJobs parse, cannot overlap, retry, and materialization runs before training', () => {
    expect(cronJobs.map((c) => c.metadata.name).sort()).toEqual(['frec-materialize', 'streamrec-daily']);
    const next = (c: any) =>
      CronExpressionParser.parse(c.spec.schedule, { tz: c.spec.timeZone, currentDate: new Date('2026-03-10T12:00:00Z') })
        .next()
        .getTime();
    for (const c of cronJobs) {
      expect(() => CronExpressionParser.parse(c.spec.schedule, { tz: c.spec.timeZone })).not.toThrow();
      expect(c.spec).toMatchObject({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: expect.any(Number) });
      expect(c.spec.jobTemplate.spec.backoffLimit).toBeGreaterThan(0);
      expect(c.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
    }
    const [mat, daily] = ['frec-materialize', 'streamrec-daily'].map((n) => cronJobs.find((c) => c.metadata.name === n));
    expect(next(daily) - next(mat)).toBeGreaterThan(0);
    expect(next(daily) - next(mat)).toBeLessThan(24 * 3600_000);
    expect(podSpecOf(mat).containers[0].command.slice(-2)).toEqual(['materialize-incremental', 'now']);
  });

  it('the training job runs the agreed entry point with a --day the shell computes as YYYY-MM-DD', () => {
    const daily = cronJobs.find((c) => c.metadata.name === 'streamrec-daily');
    expect(podSpecOf(daily).containers[0].command).toEqual(TRAINING_COMMAND);
    const script = TRAINING_COMMAND[2]!;
    expect(script).toMatch(/^exec npm run -w examples\/streamrec daily -- --day "\$\(.+\)"$/);
    const dayExpr = /--day "\$\((.+)\)"$/.exec(script)![1]!;
    const day = execFileSync('sh', ['-c', dayExpr], { encoding: 'utf8' }).trim();
    expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(`${day}T00:00:00Z`)).toBe(
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 86_400_000,
    );
  });
});

describe('configuration', () => {
  it("feature_store.yaml in the ConfigMap is valid for frec's parser and each section's plugin: Redis Cluster, DuckDB, the server on all interfaces", () => {
    const cm = ofKind(docs, 'ConfigMap').find((c) => c.metadata.name === NAMES.configMap);
    const file = path.join(productionValues.repoPath, 'feature_store.yaml');
    const config = parseRepoConfig(cm.data['feature_store.yaml'], { file, repoPath: productionValues.repoPath, env: {} });
    const online = redisOnlineStoreConfigSchema.parse(config.online_store);
    expect(online).toMatchObject({ type: 'redis', cluster: true, key_prefix: productionValues.redis.keyPrefix });
    expect(online.connection_string.split(',')).toHaveLength(3);
    expect(duckdbOfflineStoreConfigSchema.parse(config.offline_store)).toMatchObject({ type: 'duckdb', temp_directory: '/tmp/duckdb' });
    expect(serverConfigOf(config)).toMatchObject({ host: '0.0.0.0', port: productionValues.featureServer.port, api_keys: [] });
    // The plugins every process imports must be packages the image installs.
    const rootDeps = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies;
    for (const p of config.plugins) expect(rootDeps).toHaveProperty([p.split('/').slice(0, 2).join('/')]);
    expect(() => redisOnlineStoreConfigSchema.parse({ ...config.online_store, clustr: true })).toThrow();
  });

  it('every pod carries the checksum of the config it mounts, so a config change rolls it', () => {
    const sum = checksumOf(configMap(productionValues));
    for (const w of workloads) {
      const annotations =
        w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template.metadata.annotations : w.spec.template.metadata.annotations;
      expect(annotations['frec.dev/config-checksum'], w.metadata.name).toBe(sum);
      const pod = podSpecOf(w);
      expect(pod.volumes.find((v: any) => v.configMap)?.configMap.name).toBe(NAMES.configMap);
    }
  });

  it('API keys reach the feature server from the Secret, under the variable the server reads; every Secret reference is required', () => {
    expect(apiKeysFromEnv({ [NAMES.apiKeysKey]: 'a, b' })).toEqual(['a', 'b']);
    const fs = deployments.find((d) => d.metadata.name === 'frec-feature-server').spec.template.spec.containers[0];
    expect(fs.env.find((e: any) => e.name === 'FREC_API_KEYS').valueFrom.secretKeyRef).toEqual({
      name: NAMES.apiKeysSecret,
      key: NAMES.apiKeysKey,
      optional: false,
    });
    const refs = workloads.flatMap((w) => podSpecOf(w).containers.flatMap((c: any) => c.env.filter((e: any) => e.valueFrom?.secretKeyRef)));
    for (const r of refs) expect(r.valueFrom.secretKeyRef.optional).toBe(false);
    const monitor = ofKind(docs, 'PodMonitor').find((m) => m.metadata.name === 'frec-feature-server');
    expect(monitor.spec.podMetricsEndpoints[0].authorization.credentials).toEqual({ name: NAMES.apiKeysSecret, key: NAMES.metricsKeyKey });
  });

  it('scrape annotations name the port the container serves /metrics on', () => {
    for (const d of deployments) {
      const a = d.spec.template.metadata.annotations;
      expect(a['prometheus.io/scrape']).toBe('true');
      expect(d.spec.template.spec.containers[0].ports.map((p: any) => String(p.containerPort))).toContain(a['prometheus.io/port']);
    }
  });
});
