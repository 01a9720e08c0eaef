import { InvalidArgumentError, type Command } from 'commander';
import type { Plan } from '@frec/core';
import { encodeRegistry } from '@frec/core/spi';
import { emit, globalsOf } from '../output.js';
import { withStore } from '../context.js';

const SIGN = { add: '+', change: '~', remove: '-' } as const;

/** Human text of a plan: one line per change, details indented, breaking changes flagged. */
export function formatPlan(plan: Plan): string {
  if (plan.changes.length === 0) return `No changes. ${plan.unchanged} object(s) up to date (registry generation ${plan.baseGeneration}).`;
  const lines: string[] = [];
  for (const c of plan.changes) {
    lines.push(`${SIGN[c.type]} ${c.kind} ${c.name}${c.breaking.length ? '  [BREAKING]' : ''}`);
    for (const d of c.details) lines.push(`    ${d}`);
    for (const b of c.breaking) lines.push(`    ! breaking: ${b}`);
  }
  const n = (t: string) => plan.changes.filter((c) => c.type === t).length;
  lines.push(
    '',
    `${n('add')} to add, ${n('change')} to change, ${n('remove')} to remove, ${plan.unchanged} unchanged (against registry generation ${plan.baseGeneration}).`,
  );
  if (plan.hasBreakingChanges) lines.push('Breaking changes above can break models or readers already using these features.');
  return lines.join('\n');
}

function parseGeneration(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer (the generation `frec plan` printed).');
  return n;
}

/** Registers plan, apply, teardown and registry-dump. */
export function registerRepoCommands(program: Command): void {
  program
    .command('plan')
    .description('show what `frec apply` would change in the registry, flagging breaking changes')
    .option('--fail-on-breaking', 'exit with code 3 when the plan holds a breaking change')
    .action(async (opts: { failOnBreaking?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const plan = await store.plan();
        emit(g, plan, () => formatPlan(plan));
        if (opts.failOnBreaking && plan.hasBreakingChanges) process.exitCode = 3;
      });
    });

  program
    .command('apply')
    .description('validate the definitions, write them to the registry and update online-store infrastructure')
    .option('--skip-source-validation', 'do not read file sources to check their schemas')
    .option(
      '--base-generation <n>',
      'refuse (REGISTRY_CONFLICT) unless the registry is still at this generation, the one `frec plan` showed',
      parseGeneration,
    )
    .action(async (opts: { skipSourceValidation?: boolean; baseGeneration?: number }, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const res = await store.apply(undefined, { validateSources: !opts.skipSourceValidation, baseGeneration: opts.baseGeneration });
        emit(g, { ...res.plan, generation: res.generation }, () =>
          res.plan.changes.length === 0
            ? `No changes to apply. Registry generation ${res.generation}.`
            : `${formatPlan(res.plan)}\nApplied. Registry generation ${res.generation}.`,
        );
      });
    });

  program
    .command('teardown')
    .description('delete online-store data of every applied view and the registry')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        await store.teardown();
        emit(g, { tornDown: true, project: store.project }, () => `Tore down project '${store.project}'.`);
      });
    });

  program
    .command('registry-dump')
    .description('print the registry as JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        process.stdout.write(encodeRegistry(data));
      });
    });
}
