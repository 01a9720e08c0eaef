import type { Command } from 'commander';

/** Registers the `serve` verbs (filled in by its own change). */
export function registerServeCommand(_program: Command): void {}
