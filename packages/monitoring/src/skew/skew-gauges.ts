import { Gauge, type Registry } from 'prom-client';
import { latestSkewReport } from './skew-files.js';
import type { SkewReport } from './skew-report.js';

/**
 * The skew report as Prometheus gauges (docs/monitoring-contract.md): `frec_feature_psi{feature}`,
 * `frec_feature_null_share{feature,side}`, `frec_feature_skew_flagged{feature}` and
 * `frec_feature_out_of_range_share{feature}`. Set from a report, or read at each scrape from the
 * newest report in a folder, so a long-running server shows the latest daily job's figures.
 */
export class SkewGauges {
  readonly psi: Gauge<'feature'>;
  readonly nullShare: Gauge<'feature' | 'side'>;
  readonly flagged: Gauge<'feature'>;
  readonly outOfRange: Gauge<'feature'>;
  private report: SkewReport | undefined;

  constructor(registry: Registry, options: { reportDir?: string } = {}) {
    const dir = options.reportDir;
    // One read of the folder per scrape, shared by the four gauges' collect calls.
    let pending: Promise<void> | undefined;
    const refresh = async (): Promise<void> => {
      if (!dir) return;
      pending ??= latestSkewReport(dir).then((r) => {
        if (r) this.set(r);
        setImmediate(() => (pending = undefined));
      });
      await pending;
    };
    const r = [registry];
    this.psi = new Gauge({
      name: 'frec_feature_psi',
      help: 'PSI of served vs reference values, newest daily skew report.',
      labelNames: ['feature'],
      registers: r,
      collect: refresh,
      aggregator: 'max',
    });
    this.nullShare = new Gauge({
      name: 'frec_feature_null_share',
      help: 'Share of null or default values per side (reference, served), newest daily skew report.',
      labelNames: ['feature', 'side'],
      registers: r,
      collect: refresh,
      // Every cluster worker reads the same report: summing would multiply it.
      aggregator: 'max',
    });
    this.flagged = new Gauge({
      name: 'frec_feature_skew_flagged',
      help: '1 when the feature PSI is over the report threshold.',
      labelNames: ['feature'],
      registers: r,
      collect: refresh,
      aggregator: 'max',
    });
    this.outOfRange = new Gauge({
      name: 'frec_feature_out_of_range_share',
      help: "Share of served values outside the reference's range or categories.",
      labelNames: ['feature'],
      registers: r,
      collect: refresh,
      // Every cluster worker reads the same report: summing would multiply it.
      aggregator: 'max',
    });
  }

  /** Sets every gauge from a report (features no longer in it are removed). */
  set(report: SkewReport): void {
    if (this.report?.generatedAt === report.generatedAt && this.report.date === report.date) return;
    this.report = report;
    for (const g of [this.psi, this.nullShare, this.flagged, this.outOfRange]) g.reset();
    for (const f of report.features) {
      this.psi.set({ feature: f.feature }, f.psi);
      this.nullShare.set({ feature: f.feature, side: 'reference' }, f.nullShare.reference);
      this.nullShare.set({ feature: f.feature, side: 'served' }, f.nullShare.served);
      this.flagged.set({ feature: f.feature }, f.flagged ? 1 : 0);
      this.outOfRange.set({ feature: f.feature }, f.outOfRange);
    }
  }
}
