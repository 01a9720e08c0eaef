import type { Command } from 'commander';

/** Registers the `materialize` verbs (filled in by its own change). */
export function registerMaterializeCommands(_program: Command): void {}
