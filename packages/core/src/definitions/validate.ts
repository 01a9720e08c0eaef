import type { z } from 'zod';
import { DefinitionError } from '../errors.js';
import { formatZodError } from './specs.js';

/** Parses a spec with its zod schema, throwing a DefinitionError that names the object and its declaration site. */
export function parseSpec<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string, site?: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const name = (input as { name?: unknown } | null)?.name;
  throw new DefinitionError(`Invalid ${what} '${String(name ?? '?')}': ${formatZodError(r.error)}.`, {
    where: { object: String(name ?? '?'), file: site },
    hint: site ? `Fix the declaration at ${site}.` : undefined,
  });
}
