/**
 * Who is reading, and what they may read (docs/operations.md "Roles and what each may see": scope is enforced on the server).
 *
 * The scope rule is built on the query engine's own filter rule — a filter restricts the named
 * members of a dimension, and the engine refuses what it cannot restrict — so it can be checked
 * on the query alone: a scoped query must filter every scoped dimension to a subset of the
 * allowed members. A query that does not (no filter, other members, a dimension the metric
 * cannot be filtered by) is refused with COCKPIT_ERR_FORBIDDEN, never widened or rewritten.
 * An embed token may, in addition, only run the queries its widget derives, with the scope
 * filter merged (`withScope` in protocol/tokens.ts).
 */
import type { MasterKind, Sku, Warehouse } from '../../protocol/master.ts'
import type { Dimension } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import { filterLists, withScope } from '../../protocol/tokens.ts'
import type { EmbedWidget, TokenScope } from '../../protocol/tokens.ts'
import { CockpitError } from '../errors.ts'
import { resolveWidget } from '../screens/validate.ts'

export type Principal =
  /** the admin key: everything */
  | { kind: 'admin' }
  /** an ingest key: ingest, and reading */
  | { kind: 'ingest' }
  /** the static COCKPIT_VIEWER_TOKEN (no scope, no expiry) or a signed viewer token */
  | { kind: 'viewer'; signed: boolean; scope?: TokenScope; expiresAt?: number; label?: string }
  /** a signed embed token: its widget's queries only */
  | { kind: 'embed'; scope?: TokenScope; widget: EmbedWidget; expiresAt: number; label?: string }
  /** no token, while reading is open */
  | { kind: 'anonymous' }

export function scopeOf(p: Principal): TokenScope | undefined {
  return p.kind === 'viewer' || p.kind === 'embed' ? p.scope : undefined
}

export function expiresAtOf(p: Principal): number | undefined {
  return p.kind === 'viewer' || p.kind === 'embed' ? p.expiresAt : undefined
}

/** Why `query` is outside `scope`, or undefined when it is inside. */
export function scopeViolation(scope: TokenScope | undefined, query: Query): string | undefined {
  const filter = filterLists(query.filter)
  for (const [dim, allowed] of Object.entries(scope ?? {}) as [Dimension, string[] | undefined][]) {
    if (!allowed || allowed.length === 0) continue
    const members = filter[dim]
    if (!members) return `this token sees only ${dim} ${allowed.join(', ')}: the query must filter ${dim} to those members`
    const outside = members.filter((m) => !allowed.includes(m))
    if (outside.length > 0) return `${dim} ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside this token's scope (${allowed.join(', ')})`
  }
  return undefined
}

/** The same query with every filter value as a list, for comparing query keys. */
function normalized(query: Query): Query {
  const lists = filterLists(query.filter)
  const { filter: _f, ...rest } = query
  return Object.keys(lists).length > 0 ? { ...rest, filter: lists } : rest
}

/**
 * Keys of the queries an embed widget may run: each derived query with the scope merged —
 * intersected with the widget's own filter (`withScope`), or replacing it on a scoped
 * dimension; both stay inside the scope.
 */
export function embedQueryKeys(widget: EmbedWidget, scope: TokenScope | undefined, parseQuery: (q: unknown) => Query, key: (q: Query) => string): Set<string> {
  const keys = new Set<string>()
  const resolved = resolveWidget(widget.widget, widget.options, widget.optionsVersion, parseQuery)
  if (!resolved.ok) return keys
  for (const query of Object.values(resolved.queries)) {
    const merged = withScope(query, scope)
    if (merged) keys.add(key(normalized(merged)))
    if (scope && Object.keys(scope).length > 0) keys.add(key(normalized({ ...query, filter: { ...filterLists(query.filter), ...scope } })))
  }
  return keys
}

export interface ReadCheckOptions {
  parseQuery: (q: unknown) => Query
  key: (q: Query) => string
  now?: number
}

/**
 * Throws COCKPIT_ERR_UNAUTHORIZED when the principal's token expired, COCKPIT_ERR_FORBIDDEN
 * when the query is outside its scope or (embed) not one of its widget's queries.
 */
export function assertMayRead(p: Principal, query: Query, o: ReadCheckOptions): void {
  const exp = expiresAtOf(p)
  if (exp !== undefined && exp * 1000 <= (o.now ?? Date.now())) {
    throw new CockpitError('COCKPIT_ERR_UNAUTHORIZED', `token expired at ${new Date(exp * 1000).toISOString()}; ask an administrator for a new one`)
  }
  const violation = scopeViolation(scopeOf(p), query)
  if (violation) throw new CockpitError('COCKPIT_ERR_FORBIDDEN', violation)
  if (p.kind === 'embed') {
    const allowed = embedQueryKeys(p.widget, p.scope, o.parseQuery, o.key)
    if (!allowed.has(o.key(normalized(query)))) {
      throw new CockpitError('COCKPIT_ERR_FORBIDDEN', `this embed token only runs the queries of its ${p.widget.widget} widget`)
    }
  }
}

/** True when a scope restricts at least one dimension. */
export function hasScope(scope: TokenScope | undefined): scope is TokenScope {
  return Object.values(scope ?? {}).some((members) => members !== undefined && members.length > 0)
}

/** Records of the kinds a scoped master-data answer derives from (regions from warehouses, categories from SKUs). */
export interface MasterRelations {
  warehouses: readonly Warehouse[]
  skus: readonly Sku[]
}

/**
 * The master-data records of `kind` a principal with `scope` may see (docs/api.md, "Scoped
 * master data"). A scope lists what its holder may see, so a record is shown only when a scoped
 * dimension names it and no scoped dimension excludes it:
 * - warehouses by `warehouse` and/or `region` (a warehouse without a region is outside a region scope);
 *   regions by `region`, and the regions of the warehouses shown;
 * - SKUs by `sku` and/or `category`; categories by `category`, and the categories of the SKUs shown;
 * - partners only by `partner`, channels only by `channel`.
 * A kind whose dimensions the scope does not mention is empty: a warehouse manager does not see
 * the supplier and customer list. Unscoped principals get every record (not this function's job).
 */
export function masterInScope(kind: MasterKind, records: readonly unknown[], scope: TokenScope, related: MasterRelations): unknown[] {
  const members = (dim: Dimension) => {
    const list = scope[dim]
    return list && list.length > 0 ? new Set(list) : undefined
  }
  const codeOf = (r: unknown) => (r as { code: string }).code
  const W = members('warehouse')
  const R = members('region')
  const S = members('sku')
  const C = members('category')
  const warehouseIn = (w: Warehouse) => (W !== undefined || R !== undefined) && (!W || W.has(w.code)) && (!R || (w.region !== undefined && R.has(w.region)))
  const skuIn = (s: Sku) => (S !== undefined || C !== undefined) && (!S || S.has(s.code)) && (!C || (s.category !== undefined && C.has(s.category)))
  switch (kind) {
    case 'warehouses':
      return records.filter((r) => warehouseIn(r as Warehouse))
    case 'skus':
      return records.filter((r) => skuIn(r as Sku))
    case 'regions': {
      if (!W && !R) return []
      const ofWarehouses = W ? new Set(related.warehouses.filter(warehouseIn).map((w) => w.region)) : undefined
      return records.filter((r) => (!R || R.has(codeOf(r))) && (!ofWarehouses || ofWarehouses.has(codeOf(r))))
    }
    case 'categories': {
      if (!S && !C) return []
      const ofSkus = S ? new Set(related.skus.filter(skuIn).map((s) => s.category)) : undefined
      return records.filter((r) => (!C || C.has(codeOf(r))) && (!ofSkus || ofSkus.has(codeOf(r))))
    }
    case 'partners': {
      const P = members('partner')
      return P ? records.filter((r) => P.has(codeOf(r))) : []
    }
    case 'channels': {
      const H = members('channel')
      return H ? records.filter((r) => H.has(codeOf(r))) : []
    }
  }
}
