import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configIssueError, keysOf, locate, sourceOf } from '../config/config-errors.js';
import type { RepoConfig } from '../config/repo-config.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { didYouMean } from '../names.js';
import { findPlugin, registeredTypes, type ContextOf, type InstanceOf, type PluginKind } from './plugin-registry.js';

const loaded = new Map<string, Promise<void>>();

/**
 * Resolves a plugin module: from the repo folder first (a repo can name its own `./my-store.ts`
 * or a package installed beside it), then from the working directory, then as a bare import.
 */
function resolveModule(spec: string, repoPath: string): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) return pathToFileURL(path.resolve(repoPath, spec)).href;
  for (const base of [repoPath, process.cwd()]) {
    try {
      return pathToFileURL(createRequire(path.join(base, 'noop.js')).resolve(spec)).href;
    } catch {
      // Not installed under this folder: try the next.
    }
  }
  return spec;
}

/** Imports the modules listed under `plugins:` (once per process each), so they register themselves. */
export async function loadPlugins(config: Pick<RepoConfig, 'plugins' | 'repoPath' | 'configPath'>): Promise<void> {
  for (const [i, spec] of (config.plugins ?? []).entries()) {
    const url = resolveModule(spec, config.repoPath);
    let p = loaded.get(url);
    if (!p) {
      p = import(/* @vite-ignore */ url).then(
        () => undefined,
        (err: unknown) => {
          loaded.delete(url);
          throw new ConfigError(
            `${config.configPath}: plugin '${spec}' (plugins[${i}]) could not be imported: ${(err as Error).message}`,
            {
              where: { file: config.configPath, key: `plugins.${i}` },
              hint: 'Install the package, or fix the path (relative paths resolve from the repo folder).',
              cause: err,
            },
            ErrorCode.PLUGIN_LOAD_FAILED,
          );
        },
      );
      loaded.set(url, p);
    }
    await p;
  }
}

const LABEL: Record<string, string> = {
  onlineStore: 'online store',
  offlineStore: 'offline store',
  registryStore: 'registry store',
  streamBroker: 'stream broker',
};

/**
 * Builds the plugin a config section selects: loads `plugins:`, finds the registered plugin of the
 * section's `type`, validates the section with the plugin's own schema (errors point at its line)
 * and calls its factory.
 * @example const online = await createFromConfig('onlineStore', config.online_store, ['online_store'], config);
 */
export async function createFromConfig<K extends PluginKind>(
  kind: K,
  section: { type: string } & Record<string, unknown>,
  sectionPath: readonly string[],
  repoConfig: RepoConfig,
  context?: Omit<ContextOf<K>, 'repoConfig'>,
): Promise<InstanceOf<K>> {
  let plugin = findPlugin(kind, section.type);
  if (!plugin) {
    await loadPlugins(repoConfig);
    plugin = findPlugin(kind, section.type);
  }
  const file = repoConfig.configPath;
  if (!plugin) {
    const known = registeredTypes(kind);
    const label = LABEL[kind] ?? kind;
    throw new ConfigError(
      `${file}${locate(sourceOf(repoConfig), sectionPath, 'type')}: ${[...sectionPath, 'type'].join('.')} '${section.type}' is not a registered ${label} ` +
        `(registered: ${known.length > 0 ? known.join(', ') : 'none'}).${didYouMean(section.type, known)}`,
      {
        where: { file, key: [...sectionPath, 'type'].join('.') },
        hint: `List the package that provides the '${section.type}' ${label} under \`plugins:\` in feature_store.yaml, or import it before opening the store.`,
      },
      ErrorCode.UNKNOWN_PLUGIN,
    );
  }
  const parsed = plugin.configSchema.safeParse(section);
  if (!parsed.success) {
    throw configIssueError(parsed.error, {
      file,
      source: sourceOf(repoConfig),
      prefix: sectionPath,
      knownKeysAt: (p) => (p.length === 0 ? keysOf(plugin.configSchema) : []),
    });
  }
  return plugin.create(parsed.data, { ...context, repoConfig } as ContextOf<K>);
}
