import { ErrorCode, RequestError } from '../errors.js';

/** Entity rows as a request gives them: one object per row, or one array per column (Feast's HTTP shape). */
export interface EntityInputShape {
  entityRows?: ReadonlyArray<Record<string, unknown>>;
  entities?: Readonly<Record<string, ReadonlyArray<unknown>>>;
}

/** Read access to the rows of a request, whichever shape they came in, without converting one into the other. */
export interface EntityInput {
  readonly n: number;
  /** The value of `name` in row `row`; undefined when the row (or the column) lacks it. */
  value(row: number, name: string): unknown;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks a request's entity rows (exactly one of `entityRows` or `entities`, columns of equal
 * length) and gives indexed access to them.
 */
export function entityInputOf(req: EntityInputShape): EntityInput {
  if ((req.entityRows === undefined) === (req.entities === undefined)) {
    throw new RequestError(
      ErrorCode.INVALID_ENTITY_ROWS,
      'Give exactly one of entityRows (one object per row) or entities (one array per join key).',
      {
        hint: 'Pass entityRows: [{ driver_id: 1001 }, ...] or entities: { driver_id: [1001, ...] }.',
      },
    );
  }
  if (req.entityRows !== undefined) {
    const rows = req.entityRows as unknown;
    let bad = !Array.isArray(rows);
    if (!bad) for (const r of rows as unknown[]) if (r === null || typeof r !== 'object') bad = true;
    if (bad) {
      throw new RequestError(ErrorCode.INVALID_ENTITY_ROWS, 'entityRows must be an array of objects holding join keys.', {
        hint: 'Pass entityRows: [{ driver_id: 1001 }, ...].',
      });
    }
    const list = req.entityRows;
    return { n: list.length, value: (row, name) => list[row]![name] };
  }
  const cols = req.entities as unknown;
  if (cols === null || typeof cols !== 'object' || Array.isArray(cols)) {
    throw new RequestError(ErrorCode.INVALID_ENTITY_ROWS, 'entities must be an object of columns, one array of values per join key.', {
      hint: 'Pass entities: { driver_id: [1001, 1002] }.',
    });
  }
  const table = cols as Record<string, unknown>;
  let n = -1;
  let first = '';
  for (const name of Object.keys(table)) {
    const col = table[name];
    if (!Array.isArray(col) || FORBIDDEN.has(name)) {
      throw new RequestError(ErrorCode.INVALID_ENTITY_ROWS, `entities.${name} must be an array of values, one per row.`, {
        where: { field: `entities.${name}` },
      });
    }
    if (n === -1) {
      n = col.length;
      first = name;
    } else if (col.length !== n) {
      throw new RequestError(
        ErrorCode.INVALID_ENTITY_ROWS,
        `entities.${name} has ${col.length} values but entities.${first} has ${n}; every column needs one value per row.`,
        { where: { field: `entities.${name}` } },
      );
    }
  }
  const columns = table as Record<string, unknown[]>;
  return { n: Math.max(n, 0), value: (row, name) => (Object.hasOwn(columns, name) ? columns[name]![row] : undefined) };
}
