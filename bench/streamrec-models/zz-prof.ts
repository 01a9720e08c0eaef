import { trainTwoTower, trainRanker } from '../../examples/streamrec/src/models/index.js';
import { benchTwoTowerData, benchRankerData } from './shapes.js';
const tt = benchTwoTowerData(20000);
const rk = benchRankerData(20000);
for (let i = 0; i < 2; i++) {
  let c = process.cpuUsage(); trainTwoTower(tt, { epochs: 1, batchSize: 256 }); const a = process.cpuUsage(c).user / 1e6;
  c = process.cpuUsage(); trainRanker(rk, { epochs: 1, batchSize: 256 }); const b = process.cpuUsage(c).user / 1e6;
  console.log('cpu s: two-tower', a.toFixed(2), 'dcn', b.toFixed(2));
}
