import { runPipeline } from './src/pipeline/run-pipeline.js';
import { FEATURE_REPO, VENDORED_DATA } from './src/data/load-cli.js';
const t0 = performance.now();
const res = await runPipeline({ repoPath: process.env.REPO ?? FEATURE_REPO, inputDir: VENDORED_DATA, register: false, reportBlends: true, ...JSON.parse(process.env.OPTS ?? '{}') });
console.log(res.table);
console.log('wall', ((performance.now() - t0) / 1000).toFixed(1));
