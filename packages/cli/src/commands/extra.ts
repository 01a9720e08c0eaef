import type { Command } from 'commander';
import { registerMaterializeCommands } from './materialize.js';
import { registerStreamCommand } from './stream.js';
import { registerServeCommand } from './serve.js';
import { registerModelsCommands } from './models.js';
import { registerMonitorCommands } from './monitor.js';
import { registerUiCommand } from './ui.js';

/** Verbs owned by the other packages' features: materialization, streaming, serving, models, monitoring, the web console. */
export function registerExtraCommands(program: Command): void {
  registerMaterializeCommands(program);
  registerStreamCommand(program);
  registerServeCommand(program);
  registerModelsCommands(program);
  registerMonitorCommands(program);
  registerUiCommand(program);
}
