import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { NAMES } from '../src/pod-spec.js';
import { MANIFESTS, checkedInDocs, ofKind } from './helpers.js';

// kubectl's --dry-run=client still asks an API server for its discovery documents, so it cannot
// run here; `kubectl kustomize` and `kubectl create ... --dry-run=client` for generators are offline.
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function kubectl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasKubectl)('kubectl, offline', () => {
  it('`kubectl kustomize deploy/manifests` builds every object of the checked-in files', () => {
    const r = kubectl(['kustomize', MANIFESTS]);
    expect(r.status, r.stderr).toBe(0);
    const built = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
      `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(built.map(key).sort()).toEqual(
      checkedInDocs()
        .map((d) => key(d.obj))
        .sort(),
    );
  });

  it('the README secret commands make the Secrets, with the keys, the pods and the PodMonitor read', () => {
    const r = kubectl([
      'create',
      'secret',
      'generic',
      NAMES.apiKeysSecret,
      '-n',
      'frec',
      `--from-literal=${NAMES.apiKeysKey}=client-key,metrics-key`,
      `--from-literal=${NAMES.metricsKeyKey}=metrics-key`,
      '--dry-run=client',
      '-o',
      'json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const secret = JSON.parse(r.stdout) as { data: Record<string, string> };
    const refs = ofKind(checkedInDocs(), 'Deployment')
      .flatMap((d) => d.spec.template.spec.containers.flatMap((c: any) => c.env))
      .map((e: any) => e.valueFrom?.secretKeyRef)
      .filter((s: any) => s?.name === NAMES.apiKeysSecret)
      .map((s: any) => s.key);
    for (const k of [...refs, NAMES.metricsKeyKey]) expect(Object.keys(secret.data)).toContain(k);
    expect(Buffer.from(secret.data[NAMES.apiKeysKey]!, 'base64').toString()).toBe('client-key,metrics-key');
  });

  it('a kustomization naming a missing file fails to build (the check can fail)', () => {
    const r = kubectl(['kustomize', '/nonexistent-frec-kustomization']);
    expect(r.status).not.toBe(0);
  });
});
