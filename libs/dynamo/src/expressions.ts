/**
 * Builds update expressions with placeholders, so attribute names never clash with DynamoDB's
 * reserved words (`status`, `version`, …).
 */

/** A condition or filter: the expression text and the placeholders it uses. */
export interface Expression {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** What an update changes. Placeholders `#upd<n>`/`:upd<n>` are reserved for it. */
export interface UpdateSpec {
  /** `SET name = value` for each entry (undefined values are skipped). */
  set?: Record<string, unknown>;
  /** `ADD name value` (atomic counters). */
  add?: Record<string, number>;
  /** `REMOVE name`. */
  remove?: string[];
}

/** The update expression and placeholders built from an {@link UpdateSpec}. */
export interface BuiltUpdate {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * Turns an {@link UpdateSpec} into an update expression with `#upd<n>`/`:upd<n>` placeholders.
 *
 * @example
 * buildUpdate({ set: { status: 'running' }, add: { version: 1 }, remove: ['error'] });
 * // { UpdateExpression: 'SET #upd0 = :upd0 ADD #upd1 :upd1 REMOVE #upd2', … }
 */
export function buildUpdate(spec: UpdateSpec): BuiltUpdate {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attr: string): string => {
    const p = `#upd${n}`;
    names[p] = attr;
    return p;
  };
  const clauses: string[] = [];
  const sets: string[] = [];
  for (const [attr, value] of Object.entries(spec.set ?? {})) {
    if (value === undefined) continue;
    const nm = name(attr);
    values[`:upd${n}`] = value;
    sets.push(`${nm} = :upd${n}`);
    n++;
  }
  if (sets.length) clauses.push(`SET ${sets.join(', ')}`);
  const adds: string[] = [];
  for (const [attr, value] of Object.entries(spec.add ?? {})) {
    const nm = name(attr);
    values[`:upd${n}`] = value;
    adds.push(`${nm} :upd${n}`);
    n++;
  }
  if (adds.length) clauses.push(`ADD ${adds.join(', ')}`);
  const removes: string[] = [];
  for (const attr of spec.remove ?? []) {
    removes.push(name(attr));
    n++;
  }
  if (removes.length) clauses.push(`REMOVE ${removes.join(', ')}`);
  if (clauses.length === 0) throw new RangeError('an update must change something');
  return { UpdateExpression: clauses.join(' '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

/** Merges placeholder maps; a placeholder used twice with different meanings is a bug. */
export function mergePlaceholders<T>(...maps: Array<Record<string, T> | undefined>): Record<string, T> | undefined {
  const out: Record<string, T> = {};
  for (const map of maps) {
    for (const [k, v] of Object.entries(map ?? {})) {
      if (k in out && out[k] !== v) throw new RangeError(`placeholder ${k} is used twice`);
      out[k] = v;
    }
  }
  return Object.keys(out).length ? out : undefined;
}
