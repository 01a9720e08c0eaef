import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CATALOG_KINDS, searchCatalog } from '../api/catalog.js';
import { viewFreshness } from '../api/freshness.js';
import { registryHistory } from '../api/history.js';
import { buildLineage } from '../api/lineage.js';
import { listModels, type ModelSummary } from '../api/models.js';
import { OBJECT_KINDS, objectDetail } from '../api/objects.js';
import { badRequest, notFound, publicError } from '../console-errors.js';
import type { ConsoleContext } from '../console-context.js';
import { featureDistribution, featureKind } from '../drift/distribution.js';
import { featureLogDates } from '../drift/feature-log.js';
import { readReport, reportDates } from '../drift/skew-reports.js';
import { summarizeServing } from '../metrics/serving-summary.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD');
const name = z.string().min(1).max(256);
const page = { offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(100) };

/** Parses query or path parameters, answering 400 with the first problem and what is accepted. */
function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const param = issue.path.join('.') || what;
    throw badRequest(
      `Parameter '${param}' of ${what} ${issue.message.replace(/^./, (c) => c.toLowerCase())}.`,
      'See docs/ui.md for the /api/ parameters.',
      {
        parameter: param,
      },
    );
  }
  return r.data;
}

async function modelsOrError(ctx: ConsoleContext, log: FastifyRequest['log']): Promise<{ models: ModelSummary[]; error: string | null }> {
  try {
    const shadow = ctx.sampler.sources.length > 0 ? summarizeServing(await ctx.sampler.sample()).shadow : [];
    return { models: await listModels(ctx.models, shadow), error: null };
  } catch (err) {
    log.error({ err }, 'console: model registry read failed');
    return { models: [], error: 'the model registry could not be read; see the server log' };
  }
}

/**
 * The console's read-only JSON API (docs/ui.md). Every route answers GET only; errors are JSON
 * `{ error: { code, message, hint } }`, with the message of 5xx errors replaced (see publicError).
 */
export async function registerApiRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  await app.register(
    async (api) => {
      api.setErrorHandler(async (err, request, reply: FastifyReply) => {
        const { status, error } = publicError(err);
        if (status >= 500) request.log.error({ err }, 'console request failed');
        reply.code(status).header('cache-control', 'no-store');
        return { error };
      });
      api.setNotFoundHandler(async (request, reply) => {
        reply.code(404);
        return {
          error: {
            code: 'CONSOLE_NOT_FOUND',
            message: `No console API route ${request.method} ${request.url.split('?')[0]}.`,
            hint: 'See docs/ui.md.',
          },
        };
      });
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        reply.header('x-content-type-options', 'nosniff');
        return payload;
      });
      const data = () => ctx.store.registry.data();

      api.get('/overview', async () => {
        const d = await data();
        return {
          project: d.project,
          generation: d.generation,
          lastUpdated: d.lastUpdated,
          counts: {
            entities: Object.keys(d.entities).length,
            dataSources: Object.keys(d.dataSources).length,
            featureViews: Object.keys(d.featureViews).length,
            onDemandFeatureViews: Object.keys(d.onDemandFeatureViews).length,
            featureServices: Object.keys(d.featureServices).length,
          },
          onlineStore: ctx.store.config.online_store.type,
          offlineStore: ctx.store.config.offline_store.type,
          sources: ctx.describe,
        };
      });

      api.get('/catalog', async (request) => {
        const q = parse(
          z.object({ q: z.string().max(256).default(''), kind: z.enum(CATALOG_KINDS).optional(), ...page, limit: page.limit.default(50) }),
          request.query,
          '/api/catalog',
        );
        return searchCatalog(await data(), { query: q.q, kind: q.kind, offset: q.offset, limit: q.limit });
      });

      api.get('/objects/:kind/:name', async (request) => {
        const p = parse(z.object({ kind: z.enum(OBJECT_KINDS), name }), request.params, '/api/objects/:kind/:name');
        const { models } = await modelsOrError(ctx, request.log);
        return objectDetail(await data(), p.kind, p.name, models, {
          repoPath: ctx.store.config.repoPath,
          serverUrl: ctx.featureServerUrl ?? `${request.protocol}://${request.host}`,
        });
      });

      api.get('/lineage', async (request) => {
        const q = parse(z.object({ focus: z.string().max(300).optional() }), request.query, '/api/lineage');
        const { models, error } = await modelsOrError(ctx, request.log);
        return buildLineage(await data(), models, error, q.focus);
      });

      api.get('/freshness', async (request) => {
        const q = parse(z.object({ view: name.optional(), ...page }), request.query, '/api/freshness');
        const d = await ctx.store.registry.data({ fresh: true });
        if (q.view && !d.featureViews[q.view])
          throw notFound(`No feature view '${q.view}'.`, 'Pick a view from the catalog.', { view: q.view });
        return viewFreshness(ctx.store, d, {
          maxLag: ctx.maxLag,
          offset: q.offset,
          limit: q.limit,
          ...(q.view ? { views: [q.view] } : {}),
        });
      });

      api.get('/drift', async (request) => {
        const q = parse(z.object({ date: date.optional() }), request.query, '/api/drift');
        const [served, reports] = await Promise.all([featureLogDates(ctx.drift.featureLogDir), reportDates(ctx.drift.skewReportDir)]);
        const day = q.date ?? reports.at(-1) ?? null;
        const read = day ? await readReport(ctx.drift.skewReportDir, day) : null;
        return {
          date: day,
          reportDates: reports,
          servedDates: served,
          report: read?.report
            ? {
                date: read.report.date,
                generatedAt: read.report.generatedAt ?? null,
                reference: read.report.reference,
                served: read.report.served,
                threshold: read.report.threshold.psi,
                features: read.report.features.map((f) => ({
                  feature: f.feature,
                  type: f.type,
                  psi: f.psi,
                  flagged: f.flagged,
                  nullShare: f.nullShare ?? null,
                  outOfRange: f.outOfRange ?? null,
                })),
              }
            : null,
          reportError: read && !read.report ? `the skew report of ${day} ${read.error}` : null,
        };
      });

      api.get('/features/:view/:feature/distribution', async (request) => {
        const p = parse(z.object({ view: name, feature: name }), request.params, '/api/features/:view/:feature/distribution');
        const q = parse(z.object({ date: date.optional() }), request.query, '/api/features/:view/:feature/distribution');
        const d = await data();
        const view = d.featureViews[p.view]?.spec;
        if (!view) {
          throw notFound(`No batch, stream or aggregation view '${p.view}'.`, 'Distributions are shown for views with an offline source.', {
            view: p.view,
          });
        }
        const field = view.features.find((f) => f.name === p.feature);
        if (!field)
          throw notFound(
            `View '${p.view}' has no feature '${p.feature}'.`,
            `Its features: ${view.features.map((f) => f.name).join(', ')}.`,
            p,
          );
        return { ...(await featureDistribution(ctx.duck, ctx.drift, view, field, q.date)), binnable: featureKind(field.dtype) !== 'array' };
      });

      api.get('/serving', async () => summarizeServing(await ctx.sampler.sample(), ctx.stageBudgetsMs));

      api.get('/models', async (request) => {
        const { models, error } = await modelsOrError(ctx, request.log);
        return { location: ctx.describe.modelRegistry, models, error };
      });

      api.get('/history', async () => registryHistory(await ctx.store.registry.data({ fresh: true })));
    },
    { prefix: '/api' },
  );
}
