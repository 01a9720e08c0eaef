import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { DockerfileParser, type Copy } from 'dockerfile-ast';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '../src/dockerfile-lint.js';
import { ROOT } from './helpers.js';

// The package is CommonJS (`module.exports = factory`) while its types declare a default export.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lint = (text: string) => lintDockerfile(text, { configDir: ROOT });
const rulesOf = (text: string) => lint(text).map((f) => `${f.source}:${f.rule}`);

describe('Dockerfile', () => {
  it('passes dockerfile-utils (Docker grammar), dockerfilelint (best practices) and the image policy with no finding', () => {
    expect(lint(DOCKERFILE)).toEqual([]);
  });

  it('the lint fails an image that runs as root, one without USER, and one that installs devDependencies', () => {
    expect(rulesOf(DOCKERFILE.replace(/^USER .*$/m, 'USER root'))).toContain('frec-policy:non-root');
    expect(rulesOf(DOCKERFILE.replace(/^USER .*$/m, 'USER 0:0'))).toContain('frec-policy:non-root');
    expect(rulesOf(DOCKERFILE.replace(/^USER .*$/m, ''))).toContain('frec-policy:non-root');
    expect(rulesOf(DOCKERFILE.replace(/^USER .*$/m, 'USER frec'))).toContain('frec-policy:non-root');
    expect(rulesOf(DOCKERFILE.replace('npm ci --omit=dev', 'npm ci'))).toContain('frec-policy:omit-dev');
    expect(rulesOf(DOCKERFILE.replace('npm ci --omit=dev', 'npm install --omit=dev'))).toContain('frec-policy:npm-ci');
  });

  it('the lint fails a single stage, an unpinned base, ADD, a shell-form ENTRYPOINT and a grammar error', () => {
    expect(rulesOf('FROM node:20.20.2-bookworm-slim\nUSER 10001\nRUN npm ci --omit=dev\nCMD ["node"]\n')).toEqual([
      'frec-policy:multi-stage',
    ]);
    const latest = rulesOf(DOCKERFILE.replace('FROM node:20.20.2-bookworm-slim AS runtime', 'FROM node:latest AS runtime'));
    expect(latest).toEqual(expect.arrayContaining(['dockerfilelint:latest_tag', 'frec-policy:pinned-base']));
    expect(rulesOf(DOCKERFILE.replace('COPY packages/ ./packages/', 'ADD packages/ ./packages/'))).toContain('frec-policy:copy-not-add');
    expect(
      rulesOf(DOCKERFILE.replace('ENTRYPOINT ["node", "packages/cli/bin/frec.js"]', 'ENTRYPOINT node packages/cli/bin/frec.js')),
    ).toContain('frec-policy:exec-form');
    expect(lint(DOCKERFILE.replace('COPY --from=deps', 'COPY --frm=deps')).map((f) => f.source)).toContain('dockerfile-utils');
  });

  it('the final stage is non-root and gets its dependencies from a stage that ran npm ci --omit=dev', () => {
    const d = DockerfileParser.parse(DOCKERFILE);
    const froms = d.getFROMs();
    expect(froms.map((f) => f.getBuildStage())).toEqual(['manifests', 'deps', 'runtime']);
    const runs = d.getInstructions().filter((i) => i.getKeyword() === 'RUN');
    expect(runs.filter((i) => /npm ci --omit=dev/.test(i.getArgumentsContent() ?? '')).length).toBe(1);
    expect(DOCKERFILE).toMatch(/^COPY --from=deps \/app\/ \.\/$/m);
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
  });
});

/** Files `docker build .` would send: the tracked tree less what .dockerignore excludes. */
function buildContext(): Set<string> {
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  const ignore = dockerignore({ ignorecase: false }).add(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
  return new Set(ignore.filter(tracked));
}

describe('.dockerignore and the build context', () => {
  const context = buildContext();
  const has = (prefix: string) => [...context].some((f) => f === prefix || f.startsWith(prefix));

  it('holds what the image runs and what npm ci needs', () => {
    for (const f of [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'packages/cli/bin/frec.js',
      'examples/streamrec/feature_repo/features.ts',
    ])
      expect(context.has(f), f).toBe(true);
    for (const f of ['examples/streamrec/data/ml-latest-small/ratings.csv', 'examples/streamrec/data/ml-latest-small/movies.csv'])
      expect(context.has(f), f).toBe(true);
    // Every workspace's manifest: npm ci refuses a lockfile whose workspaces are missing.
    const workspaces: string[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).workspaces;
    for (const w of workspaces) expect(context.has(`${w}/package.json`), `${w}/package.json`).toBe(true);
    // Every runtime source file of every package and of StreamRec.
    const sources = execFileSync('git', ['ls-files', 'packages/*/src/**.ts', 'examples/streamrec/src/**.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(100);
    for (const f of sources) expect(context.has(f), f).toBe(true);
  });

  it('leaves out the git history, node_modules, tests, generated data and docs', () => {
    for (const p of [
      '.git/',
      'node_modules/',
      'docs/',
      'bench/src',
      'examples/streamrec/feature_repo/data/',
      'deploy/manifests/',
      'deploy/test/',
    ])
      expect(has(p), p).toBe(false);
    expect([...context].filter((f) => f.endsWith('.test.ts') || f.includes('/test/'))).toEqual([]);
  });

  it('every COPY source in the Dockerfile exists in the build context', () => {
    const d = DockerfileParser.parse(DOCKERFILE);
    const copies = d
      .getInstructions()
      .filter((i) => i.getKeyword() === 'COPY' && !(i as unknown as Copy).getFlags().some((f) => f.getName() === 'from'));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const args = c.getArguments().map((a) => a.getValue());
      for (const src of args.slice(0, -1)) {
        const p = src.replace(/^\.\/?/, '').replace(/\/$/, '');
        expect(p === '' ? context.size > 0 : has(p), `COPY ${src}`).toBe(true);
      }
    }
  });
});

/** Bare module specifiers a file imports at run time (type-only imports are erased by tsx). */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      out.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      out.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!))
      out.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtinModules.includes(s));
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

describe('runtime dependencies (npm ci --omit=dev installs only `dependencies`)', () => {
  it('every package a runtime source file imports is in its workspace `dependencies`, not only in devDependencies', () => {
    const problems: string[] = [];
    // Every workspace the image ships (packages/ and the example), read from the root manifest so a new package is covered.
    const workspaces = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces.filter(
      (w) => w.startsWith('packages/') || w === 'examples/streamrec',
    );
    expect(workspaces).toContain('packages/core');
    for (const ws of workspaces) {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, ws, 'package.json'), 'utf8'));
      const deps = new Set([pkg.name, ...Object.keys(pkg.dependencies ?? {})]);
      const files = execFileSync('git', ['ls-files', `${ws}/src/**.ts`, `${ws}/bin/*`, `${ws}/feature_repo/*.ts`], {
        cwd: ROOT,
        encoding: 'utf8',
      })
        .split('\n')
        .filter((f) => f && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
      for (const f of files)
        for (const spec of runtimeImports(path.join(ROOT, f))) if (!deps.has(packageOf(spec))) problems.push(`${f} imports ${spec}`);
    }
    expect(problems).toEqual([]);
  });

  it('tsx, which runs the TypeScript in the image, is a production dependency of the CLI whose bin imports it', () => {
    const cli = JSON.parse(readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8'));
    expect(cli.dependencies.tsx).toBeDefined();
    expect(runtimeImports(path.join(ROOT, 'packages/cli/bin/frec.js'))).toContain('tsx/esm/api');
  });

  it('the scan finds an import that only a devDependency provides', () => {
    expect(runtimeImports(path.join(ROOT, 'deploy/test/dockerfile.test.ts')).map(packageOf)).toEqual(
      expect.arrayContaining(['@balena/dockerignore', 'vitest', 'typescript']),
    );
  });
});
