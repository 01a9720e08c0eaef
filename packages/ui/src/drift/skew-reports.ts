import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const binSchema = z
  .object({ label: z.string(), lo: z.number().nullable(), hi: z.number().nullable(), reference: z.number(), served: z.number() })
  .passthrough();

const featureSchema = z
  .object({
    feature: z.string(),
    type: z.enum(['numeric', 'categorical']),
    psi: z.number(),
    flagged: z.boolean().default(false),
    nullShare: z.object({ reference: z.number(), served: z.number() }).passthrough().optional(),
    outOfRange: z.number().optional(),
    bins: z.array(binSchema).default([]),
  })
  .passthrough();

/** A daily skew report (docs/monitoring-contract: data/monitoring/skew/YYYY-MM-DD.json), as far as the console reads it. */
export const skewReportSchema = z
  .object({
    date: z.string(),
    generatedAt: z.string().optional(),
    reference: z.object({ kind: z.string(), name: z.string().optional(), rows: z.number().optional() }).passthrough(),
    served: z.object({ rows: z.number().optional() }).passthrough().default({}),
    threshold: z.object({ psi: z.number() }).passthrough().default({ psi: 0.2 }),
    features: z.array(featureSchema),
  })
  .passthrough();
/** A parsed skew report. */
export type SkewReport = z.infer<typeof skewReportSchema>;
/** One feature's entry of a skew report. */
export type SkewReportFeature = z.infer<typeof featureSchema>;

const DATE_FILE = /^(\d{4}-\d{2}-\d{2})\.json$/;

/** The dates that have a report file in `dir`, ascending; none when the folder does not exist. */
export async function reportDates(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((n) => DATE_FILE.exec(n)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}

/** A report and whether it could be read: a damaged file is shown as such, not as a failed page. */
export type ReportRead = { date: string; report: SkewReport; error: null } | { date: string; report: null; error: string };

/** Reads one day's report. */
export async function readReport(dir: string, date: string): Promise<ReportRead> {
  let text: string;
  try {
    text = await readFile(path.join(dir, `${date}.json`), 'utf8');
  } catch {
    return { date, report: null, error: 'missing' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { date, report: null, error: 'not valid JSON' };
  }
  const parsed = skewReportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { date, report: null, error: `does not match the skew report format (${issue.path.join('.') || '(root)'}: ${issue.message})` };
  }
  return { date, report: parsed.data, error: null };
}
