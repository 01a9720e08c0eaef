import type { ValueType } from '../value-types.js';
import { callSite } from './call-site.js';
import { entitySpecSchema, type EntitySpec } from './specs.js';
import { parseSpec } from './validate.js';

/** An entity is the thing features describe (a user, an item); its join key is the column rows are matched on. */
export class Entity {
  readonly kind = 'entity' as const;
  readonly spec: EntitySpec;
  readonly site: string | undefined;
  constructor(spec: EntitySpec, site?: string) {
    this.spec = spec;
    this.site = site;
  }
  get name(): string {
    return this.spec.name;
  }
  get joinKey(): string {
    return this.spec.joinKey;
  }
}

/** Options of `entity()`. */
export interface EntityOptions {
  name: string;
  /** Defaults to the entity's name. */
  joinKey?: string;
  valueType?: ValueType;
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}

/**
 * Declares an entity.
 * @example const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 })
 */
export function entity(options: EntityOptions): Entity {
  const site = callSite();
  const spec = parseSpec(
    entitySpecSchema,
    { ...options, joinKey: options.joinKey ?? options.name, valueType: options.valueType ?? 'string' },
    'entity',
    site,
  );
  return new Entity(spec, site);
}
