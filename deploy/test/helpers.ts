import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { Manifest } from '../src/render.js';

/** The repo root and the checked-in manifests. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MANIFESTS = path.join(ROOT, 'deploy/manifests');

/** The kubernetes-models class of each kind the manifests use; a kind missing here has no schema check, so the tests fail on it. */
export const MODELS: Record<string, new (data: never) => Manifest> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/CronJob': CronJob,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
};

/** A parsed manifest document and the file it came from. */
export interface Doc {
  file: string;
  // Parsed YAML: the tests walk it as the API server would receive it.
  obj: any;
}

/** Every document of every checked-in manifest file (kustomization.yaml aside). */
export function checkedInDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(MANIFESTS)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()) {
    for (const d of parseAllDocuments(readFileSync(path.join(MANIFESTS, file), 'utf8'))) {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      docs.push({ file, obj: d.toJS() });
    }
  }
  return docs;
}

/** Documents of one kind. */
export const ofKind = (docs: Doc[], kind: string): any[] => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj);

/** A Kubernetes quantity in base units (cores, bytes). */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const scale: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? scale[m[2]]! : 1);
}

/** The pod template spec of a Deployment or CronJob. */
export function podSpecOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
}
