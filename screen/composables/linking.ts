/**
 * Linked widgets (联动, docs/views.md "Linked widgets"): pure maths of applying the screen-wide
 * filters a click sets to one widget's queries. A widget follows a filter when every one of its
 * queries can take it (protocol/filters.ts), all or none, so its figures never mix filtered and
 * unfiltered parts; a query grouped by the filter's dimension keeps its groups and shows the
 * picked one selected (that is where the click came from, and a second click clears it).
 */
import { CODE_PATTERN, MAX_CODE_LENGTH } from '../../protocol/codes.ts'
import { acceptsFilter } from '../../protocol/filters.ts'
import { MOVEMENT_DIMENSIONS } from '../../protocol/metrics.ts'
import type { MovementDimension } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'

/** One linked filter: a member of a dimension, picked on a widget. */
export interface LinkFilter {
  dimension: MovementDimension
  key: string
}

/**
 * How a widget takes a linked filter: `filtered` (its figures are narrowed to the member),
 * `selected` (it is grouped by that dimension and shows the member selected), `unfiltered`
 * (its queries cannot take it: the figures are the whole's).
 */
export type LinkState = 'filtered' | 'selected' | 'unfiltered'

export interface LinkedQueries {
  queries: Record<string, Query>
  /** by dimension of every linked filter, for a widget with queries (none for a clock) */
  states: Partial<Record<MovementDimension, LinkState>>
  /** members shown selected, by dimension (the `selected` ones) */
  selected: Partial<Record<MovementDimension, string>>
}

const codePattern = new RegExp(CODE_PATTERN, 'u')

/** Whether a string can be a member code of a filter (protocol/codes.ts). */
export function isMemberCode(key: unknown): key is string {
  return typeof key === 'string' && key.length >= 1 && key.length <= MAX_CODE_LENGTH && codePattern.test(key)
}

export function isLinkDimension(d: unknown): d is MovementDimension {
  return typeof d === 'string' && (MOVEMENT_DIMENSIONS as readonly string[]).includes(d)
}

/**
 * The query narrowed to `link`, or undefined when it cannot be: a query already filtering that
 * dimension (its own options, a token's scope) is narrowed within those members only.
 */
function narrowed(query: Query, link: LinkFilter): Query | undefined {
  const own = query.filter?.[link.dimension]
  if (own !== undefined && !(Array.isArray(own) ? own : [own]).includes(link.key)) return undefined
  const q: Query = { ...query, filter: { ...query.filter, [link.dimension]: link.key } as NonNullable<Query['filter']> }
  return acceptsFilter(q) ? q : undefined
}

/** Applies the linked filters, in the order they were picked, to a widget's queries. */
export function linkQueries(queries: Record<string, Query>, links: readonly LinkFilter[]): LinkedQueries {
  let current = queries
  const states: LinkedQueries['states'] = {}
  const selected: LinkedQueries['selected'] = {}
  const names = Object.keys(queries)
  if (names.length === 0) return { queries, states, selected }
  for (const link of links) {
    const next: Record<string, Query> = {}
    let ok = true
    let filtered = false
    for (const name of names) {
      const q = current[name]!
      if (q.groupBy === link.dimension) {
        next[name] = q
        continue
      }
      const n = narrowed(q, link)
      if (!n) {
        ok = false
        break
      }
      next[name] = n
      filtered = true
    }
    if (!ok) {
      states[link.dimension] = 'unfiltered'
      continue
    }
    current = next
    states[link.dimension] = filtered ? 'filtered' : 'selected'
    if (names.some((n) => current[n]!.groupBy === link.dimension)) selected[link.dimension] = link.key
  }
  return { queries: current, states, selected }
}

/** The dimensions a widget does not follow, in the order they were picked. */
export function unfollowed(links: readonly LinkFilter[], states: LinkedQueries['states']): MovementDimension[] {
  return links.filter((l) => states[l.dimension] === 'unfiltered').map((l) => l.dimension)
}

/**
 * The filters after a click on a member: the same member again clears its filter, another
 * member of a linked dimension replaces it (one member per dimension), a new dimension is added.
 */
export function toggleLink(links: readonly LinkFilter[], picked: LinkFilter): LinkFilter[] {
  const same = links.find((l) => l.dimension === picked.dimension)
  if (same && same.key === picked.key) return links.filter((l) => l !== same)
  if (same) return links.map((l) => (l === same ? { dimension: picked.dimension, key: picked.key } : l))
  return [...links, { dimension: picked.dimension, key: picked.key }]
}

/** Route query parameter of a dimension's linked filter: `?f.category=drinks`. */
export const LINK_PARAM_PREFIX = 'f.'

/**
 * The linked filters a URL's query names (`?f.category=drinks&f.warehouse=WH-SH`), in the order
 * the URL gives them; parameters that are not a dimension or not a valid code are ignored, and a
 * dimension named twice keeps its first member.
 */
export function linksFromQuery(query: Record<string, unknown>): LinkFilter[] {
  const out: LinkFilter[] = []
  for (const [param, raw] of Object.entries(query)) {
    if (!param.startsWith(LINK_PARAM_PREFIX)) continue
    const dimension = param.slice(LINK_PARAM_PREFIX.length)
    const key = Array.isArray(raw) ? raw[0] : raw
    if (!isLinkDimension(dimension) || !isMemberCode(key) || out.some((l) => l.dimension === dimension)) continue
    out.push({ dimension, key })
  }
  return out
}

/** `query` with its linked-filter parameters replaced by `links` (other parameters kept, in order). */
export function queryWithLinks<V>(query: Record<string, V>, links: readonly LinkFilter[]): Record<string, V | string> {
  const rest = Object.fromEntries(Object.entries(query).filter(([k]) => !k.startsWith(LINK_PARAM_PREFIX)))
  return { ...rest, ...Object.fromEntries(links.map((l) => [`${LINK_PARAM_PREFIX}${l.dimension}`, l.key])) }
}
