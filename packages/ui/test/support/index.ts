/**
 * Test helpers of @frec/ui, the `@frec/ui/testing` entry: a real headless Chromium (Debian's
 * /usr/bin/chromium) driven by playwright-core, monitoring files in the contract's layout, and an
 * independent skew-report implementation the console's figures are checked against. Kept under
 * test/ so that the runtime image, which leaves tests out, needs no playwright-core.
 */
export { launchChromium, CHROMIUM_PATH, type ChromiumSession } from './chromium.js';
export { writeFeatureLog, writeSkewReport, type FeatureLogRow } from './monitoring-files.js';
export { numericEntry, categoricalEntry, quantile, type ReportFeature, type ReportBin } from './skew-reference.js';
