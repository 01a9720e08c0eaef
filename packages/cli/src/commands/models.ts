import type { Command } from 'commander';

/** Registers the `models` verbs (filled in by its own change). */
export function registerModelsCommands(_program: Command): void {}
