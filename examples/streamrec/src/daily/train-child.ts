/**
 * The daily job's training child: `node --import tsx train-child.ts <args.json> <result.json>`.
 * Training runs in its own process so a crash (out of memory, a kill) takes only the child down;
 * the job records the failure and the next run resumes at the training step.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { trainDay, type TrainDayArgs } from './train-day.js';

const [argsFile, resultFile] = process.argv.slice(2);
if (!argsFile || !resultFile) {
  console.error('usage: train-child.ts <args.json> <result.json>');
  process.exit(64);
}
const args = JSON.parse(readFileSync(argsFile, 'utf8')) as TrainDayArgs;
trainDay(args).then(
  (result) => {
    writeFileSync(`${resultFile}.tmp`, JSON.stringify(result));
    renameSync(`${resultFile}.tmp`, resultFile);
  },
  (err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    process.exitCode = 1;
  },
);
