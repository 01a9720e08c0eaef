export { TowerTrainingPool, type TowerJob } from './tower-pool.js';
