import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@frec/core';
import { isValidName } from '@frec/core/spi';
import { emit, globalsOf } from '../output.js';
import { templateDataSql, templateFiles } from './init-template.js';

/** Registers `frec init NAME`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .argument('<name>', 'project name; also the folder created')
    .description('create a working feature repo on embedded defaults (SQLite online, DuckDB offline)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      if (!isValidName(name)) {
        throw new ConfigError(`Project name '${name}' is invalid.`, {
          hint: 'Use letters, digits and underscores, starting with a letter.',
        });
      }
      const dir = path.resolve(g.chdir ?? process.cwd(), name);
      if (existsSync(path.join(dir, 'feature_store.yaml'))) {
        throw new ConfigError(`${dir} already holds a feature repo.`, {
          where: { file: dir },
          hint: 'Pick another name or remove the folder.',
        });
      }
      mkdirSync(path.join(dir, 'data'), { recursive: true });
      for (const [file, text] of Object.entries(templateFiles(name))) writeFileSync(path.join(dir, file), text);
      // Loaded here so every other verb starts without DuckDB's native module.
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      try {
        await conn.run("SET TimeZone = 'UTC'");
        await conn.run(templateDataSql(path.join(dir, 'data', 'driver_stats.parquet'), new Date()));
      } finally {
        conn.closeSync();
        db.closeSync();
      }
      emit(g, { created: dir, project: name }, () => `Created feature repo '${name}' in ${dir}.\nNext: cd ${name} && npx frec apply`);
    });
}
