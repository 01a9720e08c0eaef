import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FrecError, NotFoundError } from '@frec/core';
import {
  DEFAULT_MODEL_REGISTRY_DIR,
  MODEL_STAGES,
  openModelRegistry,
  type ModelManifest,
  type ModelRegistry,
  type ModelStage,
} from '@frec/model-registry';
import { withStore } from '../context.js';
import { emit, table, type GlobalOptions, globalsOf } from '../output.js';

/** The registry named by --registry, $FREC_MODEL_REGISTRY, or the repo's data/models folder. */
function registryOf(opts: GlobalOptions & { registry?: string }): ModelRegistry {
  const repo = path.resolve(opts.chdir ?? process.cwd());
  return openModelRegistry(opts.registry || process.env.FREC_MODEL_REGISTRY || DEFAULT_MODEL_REGISTRY_DIR, { baseDir: repo });
}

function parseVersion(v: string | undefined): number | 'latest' | ModelStage {
  if (v === undefined || v === 'latest') return 'latest';
  if ((MODEL_STAGES as readonly string[]).includes(v)) return v as ModelStage;
  if (/^v?\d+$/.test(v)) return Number(v.replace(/^v/, ''));
  throw new FrecError(ErrorCode.INVALID_REQUEST, `Model version '${v}' is not a number, 'latest' or a stage.`, {
    hint: `Use e.g. 3, v3, latest or one of ${MODEL_STAGES.join(', ')}.`,
  });
}

function describeText(m: ModelManifest): string {
  const lines = [
    `${m.name} v${m.version}  [${m.stage}]`,
    `created:          ${m.createdAt}`,
    `feature service:  ${m.featureService}`,
    `training data:    ${m.trainingData.start} .. ${m.trainingData.end}${m.trainingData.rows === undefined ? '' : ` (${m.trainingData.rows} rows)`}`,
  ];
  if (m.description) lines.push(`description:      ${m.description}`);
  if (Object.keys(m.metrics).length)
    lines.push('metrics:', ...Object.entries(m.metrics).map(([k, v]) => `  ${k}: ${Number(v.toFixed(6))}`));
  lines.push('artifacts:', ...m.artifacts.map((a) => `  ${a.path}  ${a.bytes} bytes  sha256:${a.sha256}`));
  lines.push('stages:', ...m.stageHistory.map((s) => `  ${s.at}  ${s.stage}`));
  return lines.join('\n');
}

/** Registers `frec models list | describe | promote`. */
export function registerModelsCommands(program: Command): void {
  const models = program
    .command('models')
    .description('list, describe and promote trained models in the model registry')
    .option(
      '--registry <location>',
      `model registry folder or s3://bucket/prefix (default: $FREC_MODEL_REGISTRY or <repo>/${DEFAULT_MODEL_REGISTRY_DIR})`,
    );

  models
    .command('list')
    .argument('[name]', 'only versions of this model')
    .description('list model versions with their stage, feature service and headline metric')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd) as GlobalOptions & { registry?: string };
      const reg = registryOf(g);
      const all = await reg.list(name);
      if (name && all.length === 0) await reg.describe(name);
      emit(g, all, () =>
        all.length === 0
          ? `No models in ${reg.store.location}.`
          : table([
              ['NAME', 'VERSION', 'STAGE', 'FEATURE SERVICE', 'CREATED', 'METRICS'],
              ...all.map((m) => [
                m.name,
                String(m.version),
                m.stage,
                m.featureService,
                m.createdAt,
                Object.entries(m.metrics)
                  .slice(0, 2)
                  .map(([k, v]) => `${k}=${v.toFixed(4)}`)
                  .join(' '),
              ]),
            ]),
      );
    });

  models
    .command('describe')
    .argument('<name>', 'model name')
    .argument('[version]', "version number, 'latest' (default) or a stage such as 'production'")
    .description('show a model version: metrics, feature service, training data range, artifact checksums, stage history')
    .action(async (name: string, version: string | undefined, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd) as GlobalOptions & { registry?: string };
      const m = await registryOf(g).describe(name, parseVersion(version));
      emit(g, m, () => describeText(m));
    });

  models
    .command('promote')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number')
    .option('--stage <stage>', `target stage (${MODEL_STAGES.join(', ')})`, 'production')
    .description(
      "move a version to a stage; production needs the model's feature service in the feature registry and archives the previous production version",
    )
    .action(async (name: string, version: string, o: { stage: string }, cmd: Command) => {
      const g = globalsOf(cmd) as GlobalOptions & { registry?: string };
      const v = parseVersion(version);
      if (typeof v !== 'number')
        throw new FrecError(ErrorCode.INVALID_REQUEST, `promote needs a version number, got '${version}'.`, {
          hint: 'See `frec models list`.',
        });
      if (!(MODEL_STAGES as readonly string[]).includes(o.stage)) {
        throw new FrecError(ErrorCode.INVALID_REQUEST, `Unknown stage '${o.stage}'.`, { hint: `Use one of ${MODEL_STAGES.join(', ')}.` });
      }
      const reg = registryOf(g);
      const m = await withStore(g, (store) =>
        reg.promote(name, v, {
          stage: o.stage as ModelStage,
          featureServiceExists: async (svc) => {
            try {
              await store.registry.getFeatureService(svc);
              return true;
            } catch (err) {
              if (err instanceof NotFoundError || (err as FrecError).code === ErrorCode.REGISTRY_NOT_FOUND) return false;
              throw err;
            }
          },
        }),
      );
      emit(g, m, () => `Promoted ${m.name} v${m.version} to ${m.stage}.`);
    });
}
