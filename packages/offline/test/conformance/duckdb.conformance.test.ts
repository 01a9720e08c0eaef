import { duckdbHarness } from './duckdb-harness.js';
import { describeOfflineStoreConformance } from './offline-store-conformance.js';

// Every offline store runs the same suite; a second engine adds a harness and a file like this one.
describeOfflineStoreConformance('duckdb', duckdbHarness);
