import type { Command } from 'commander';

/** Registers the `stream` verbs (filled in by its own change). */
export function registerStreamCommand(_program: Command): void {}
