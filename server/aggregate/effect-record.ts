/**
 * The stored text of an effect record (`e:{id}`, and the `recent` list's entries): what makes a movement's id
 * idempotent and its cancel exact, kept `COCKPIT_EFFECT_TTL_S` per live movement — the largest part of Redis memory
 * in the cancel window (docs/architecture.md "Effect records and final movements").
 *
 * In memory a record is an EffectRecord (server/aggregate/fold.ts); stored, it is a JSON object spelled short
 * (`encodeEffect`):
 * - `t`: a two-letter code of the movement type (TYPE_CODES) instead of its name;
 * - `d`: the six members as an array in RECORD_DIMS order instead of an object naming them;
 * - `n`: without its trailing nulls (a sales order has no cost or amount);
 * - `oi`: `[due]` when its document is the movement's `ref` (it always is when there is one);
 * - `os`: `1` for "the movement's `ref`, or none" — the only settlement document a movement names.
 * Every other field is as in memory. The apply script appends the outputs (`,"x":[…]}`) and a cancel's mark
 * (`,"c":"…"}`) to the text as it is: it never reads the fields.
 *
 * `decodeEffect` reads both this form and the long one written before it (records live for the cancel window, so
 * a cockpit upgraded in it still finds its older records, whatever their form).
 */
import type { MovementDimension } from '../../protocol/metrics.ts'
import type { MovementType } from '../../protocol/movement.ts'
import type { EffectRecord } from './fold.ts'

/** A cancel's own record: when it came and what it reversed (with its outputs, `x`, once applied). */
export interface CancelRecord {
  t: 'cancel'
  at: number
  cancels: string
  x?: unknown[][]
}

/** The order of the members in a stored record's `d`: part of the stored format, never reordered. */
export const RECORD_DIMS = ['sku', 'category', 'warehouse', 'partner', 'region', 'channel'] as const satisfies readonly MovementDimension[]

/** The stored code of each movement type: part of the stored format, never reused for another type. */
export const TYPE_CODES = {
  purchase_order: 'po',
  purchase_receipt: 'pr',
  purchase_return: 'pn',
  sales_order: 'so',
  sales_shipment: 'ss',
  sales_return: 'sn',
  transfer: 'tr',
  stocktake: 'st',
  payment_in: 'pi',
  payment_out: 'pu',
  cancel: 'cancel',
} as const satisfies Record<MovementType, string>

const TYPE_OF_CODE = new Map<string, MovementType>(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as MovementType]))

/** The stored text of a record (the apply script may append `x` and `c` to it). */
export function encodeEffect(e: EffectRecord): string {
  const n: (number | null)[] = [...e.n]
  while (n.length > 1 && n[n.length - 1] === null) n.pop()
  const d = e.d
  // keys in the order of the long form, so a record reads the same either way
  const out: Record<string, unknown> = { t: TYPE_CODES[e.t], at: e.at, n, d: [d.sku, d.category, d.warehouse, d.partner, d.region, d.channel] }
  if (e.due !== undefined) out.due = e.due
  if (e.la !== undefined) out.la = e.la
  if (e.lc !== undefined) out.lc = e.lc
  if (e.bq !== undefined) out.bq = e.bq
  if (e.ro !== undefined) out.ro = e.ro
  if (e.rc !== undefined) out.rc = e.rc
  if (e.to !== undefined) out.to = e.to
  if (e.rt !== undefined) out.rt = e.rt
  if (e.ref !== undefined) out.ref = e.ref
  if (e.oi !== undefined) out.oi = e.oi[0] === e.ref ? [e.oi[1]] : e.oi
  if (e.os !== undefined) out.os = e.os === (e.ref ?? '') ? 1 : e.os
  if (e.x !== undefined) out.x = e.x
  if (e.c !== undefined) out.c = e.c
  return JSON.stringify(out)
}

/** The stored text of a cancel's own record. */
export function encodeCancel(at: number, cancels: string): string {
  return JSON.stringify({ t: 'cancel', at, cancels })
}

const isText = (v: unknown): v is string => typeof v === 'string'

/**
 * A stored record, short or long form, as the fold uses it; undefined when the text is not a record the cockpit
 * wrote (a damaged or foreign value: its reader decides what that costs).
 */
export function decodeEffect(text: string): EffectRecord | CancelRecord | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const r = raw as Record<string, unknown>
  const type = typeof r.t === 'string' ? (TYPE_OF_CODE.get(r.t) ?? (r.t in TYPE_CODES ? (r.t as MovementType) : undefined)) : undefined
  // a time the calendar can format (Date's range)
  if (type === undefined || typeof r.at !== 'number' || !(Math.abs(r.at) <= 8.64e15)) return undefined
  if (type === 'cancel') return isText(r.cancels) ? ({ ...r, t: 'cancel' } as unknown as CancelRecord) : undefined
  const n = r.n
  if (!Array.isArray(n) || n.length === 0 || typeof n[0] !== 'number') return undefined
  while (n.length < 4) n.push(null)
  let d: Record<MovementDimension, string>
  if (Array.isArray(r.d)) {
    if (r.d.length !== RECORD_DIMS.length || !r.d.every(isText)) return undefined
    const m = r.d as string[]
    d = { sku: m[0]!, category: m[1]!, warehouse: m[2]!, partner: m[3]!, region: m[4]!, channel: m[5]! }
  } else if (r.d !== null && typeof r.d === 'object' && Object.values(r.d).every(isText)) {
    d = r.d as Record<MovementDimension, string>
  } else return undefined
  if (r.to !== undefined && !(Array.isArray(r.to) && r.to.every(isText))) return undefined
  const e = { ...r, t: type, n, d } as unknown as EffectRecord
  const ref = isText(r.ref) ? r.ref : undefined
  if (Array.isArray(r.oi) && r.oi.length === 1) e.oi = [ref ?? '', r.oi[0] as string]
  if (r.os === 1) e.os = ref ?? ''
  return e
}
