/**
 * Edge validation of movements: the schema of each movement's own type (so errors name its
 * fields), then the checks a schema cannot express (decimals kept, real dates, currency known,
 * transfer to another warehouse). Produces exact integer figures for the aggregator.
 */
import { Compile } from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import { MAX_ID_LENGTH, schemaErrorMessage } from '../../protocol/codes.ts'
import { LIMITS, MOVEMENT_SCHEMAS, MOVEMENT_TYPES } from '../../protocol/movement.ts'
import type { FieldError, Movement, MovementType, RejectedMovement } from '../../protocol/movement.ts'
import type { Dimension } from '../../protocol/metrics.ts'
import { LINE_DIVISOR, MONEY_SCALE, PRICE_SCALE, QTY_SCALE, toScaled } from '../domain/money.ts'

/** A valid movement with its figures as exact integers (see domain/money.ts for the scales). */
export interface NormalizedMovement {
  /** position in the request (NDJSON: line index) */
  index: number
  readonly m: Movement
  readonly type: MovementType
  /** occurredAt, epoch ms */
  readonly at: number
  /** dueAt, epoch ms */
  readonly due: number | undefined
  /** qty in 1e-3 units (countedQty for a stocktake) */
  readonly qty: number
  /** unitPrice in 1e-6 currency */
  readonly price: number | undefined
  /** unitCost in 1e-6 currency */
  readonly cost: number | undefined
  /** amount in 1e-4 currency */
  readonly amount: number | undefined
  /** the ERP's own line amount and line cost, 1e-4 currency */
  readonly lineAmount?: number
  readonly lineCost?: number
  /** a stocktake's book qty at count time, 1e-3 */
  readonly bookQty?: number
}

const validators = Object.fromEntries(MOVEMENT_TYPES.map((t) => [t, Compile(MOVEMENT_SCHEMAS[t])])) as unknown as Record<MovementType, Validator>

const TYPE_SET: ReadonlySet<string> = new Set(MOVEMENT_TYPES)

/** Furthest into the future an occurredAt may be: ERP clocks drift, years-ahead dates are typos. */
const MAX_FUTURE_MS = 24 * 3600_000
const MIN_TIME = Date.parse('1990-01-01T00:00:00Z')

export interface ValidateOptions {
  baseCurrency: string
  now?: number
  /**
   * accept currencies other than the base one: the caller converts them with the rate of their
   * date (server/ingest/currency.ts) @default false
   */
  foreignCurrencies?: boolean
  /**
   * build the field errors of a rejected movement @default true. False when they would not be
   * listed anyway (past the first rejections of a body): the schema's error walk costs a hundred
   * times its check, and a body of 200,000 bad lines must not cost seconds of CPU.
   */
  details?: boolean
}

function schemaErrors(validator: Validator, value: unknown): FieldError[] {
  const out: FieldError[] = []
  for (const e of validator.Errors(value)) {
    // TypeBox reports an additional property twice (as `false` schema and as the keyword): keep one
    if (e.keyword === 'boolean' && e.schemaPath.endsWith('additionalProperties')) {
      out.push({ path: e.instancePath, message: 'is not a field of this movement type' })
      continue
    }
    if (e.keyword === 'additionalProperties') continue
    if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? []
      for (const name of missing) out.push({ path: `${e.instancePath}/${name}`, message: 'is required' })
      if (missing.length) continue
    }
    // a code or an id with a forbidden character: say which characters, not the regular expression
    out.push({ path: e.instancePath || '/', message: schemaErrorMessage(e) })
  }
  return out
}

function scaled(value: number | undefined, scale: number, decimals: number, path: string, errors: FieldError[]): number | undefined {
  if (value === undefined) return undefined
  const s = toScaled(value, scale)
  if (s === undefined) errors.push({ path, message: `must have at most ${decimals} decimal places` })
  return s
}

function instant(value: string | undefined, path: string, errors: FieldError[], now: number, future: boolean): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t) || !calendarValid(value)) {
    errors.push({ path, message: 'is not a real date-time' })
    return undefined
  }
  if (t < MIN_TIME) errors.push({ path, message: 'is before 1990' })
  else if (!future && t > now + MAX_FUTURE_MS) errors.push({ path, message: 'is more than a day in the future' })
  return t
}

/** two ASCII digits at i (the schema's pattern has checked they are digits) */
const digits2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48

/**
 * Date.parse rolls 2026-02-30 over to March; an ERP that sends it has a bug worth reporting.
 * Runs per timestamp on the hot path: character arithmetic, no Date, no substrings.
 */
function calendarValid(value: string): boolean {
  const y = digits2(value, 0) * 100 + digits2(value, 2)
  const mo = digits2(value, 5)
  const d = digits2(value, 8)
  if (mo < 1 || mo > 12 || d < 1) return false
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const daysInMonth = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31
  return d <= daysInMonth && digits2(value, 11) < 24 && digits2(value, 14) < 60 && digits2(value, 17) < 60
}

export type ValidationOutcome = { ok: true; movement: NormalizedMovement } | { ok: false; rejected: RejectedMovement }

/** the id a rejection names: null when there is none, or when it is too long to be one (a refusal never echoes a huge string) */
function idOf(v: unknown): string | null {
  const id = v !== null && typeof v === 'object' ? (v as { id?: unknown }).id : undefined
  return typeof id === 'string' && id.length <= MAX_ID_LENGTH * 2 ? id : null
}

function reject(value: unknown, index: number, errors: FieldError[]): ValidationOutcome {
  return { ok: false, rejected: { index, id: idOf(value), errors } }
}

const TYPE_ERROR = `must be one of ${MOVEMENT_TYPES.join(', ')}`

/** Validates one movement; never throws. */
export function validateMovement(value: unknown, index: number, opts: ValidateOptions): ValidationOutcome {
  const now = opts.now ?? Date.now()
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return reject(value, index, [{ path: '/', message: 'must be an object' }])
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string' || !TYPE_SET.has(type)) return reject(value, index, [{ path: '/type', message: TYPE_ERROR }])
  const validator = validators[type as MovementType]
  if (!validator.Check(value)) return reject(value, index, opts.details === false ? [] : schemaErrors(validator, value))

  const m = value as Movement
  const errors: FieldError[] = []
  const at = instant(m.occurredAt, '/occurredAt', errors, now, false)
  const due = 'dueAt' in m ? instant(m.dueAt, '/dueAt', errors, now, true) : undefined
  if (!opts.foreignCurrencies && 'currency' in m && m.currency !== undefined && m.currency !== opts.baseCurrency) {
    errors.push({ path: '/currency', message: `unknown currency ${m.currency}: no exchange rate to ${opts.baseCurrency} is configured` })
  }
  let qty = 0
  if ('qty' in m) qty = scaled(m.qty, QTY_SCALE, LIMITS.qtyDecimals, '/qty', errors) ?? 0
  if ('countedQty' in m) qty = scaled(m.countedQty, QTY_SCALE, LIMITS.qtyDecimals, '/countedQty', errors) ?? 0
  if ('qty' in m && qty === 0 && errors.length === 0) errors.push({ path: '/qty', message: 'must be > 0' })
  const price = 'unitPrice' in m ? scaled(m.unitPrice, PRICE_SCALE, LIMITS.priceDecimals, '/unitPrice', errors) : undefined
  const cost = 'unitCost' in m ? scaled(m.unitCost, PRICE_SCALE, LIMITS.priceDecimals, '/unitCost', errors) : undefined
  const amount = 'amount' in m ? scaled(m.amount, MONEY_SCALE, LIMITS.amountDecimals, '/amount', errors) : undefined
  const lineAmount = 'lineAmount' in m ? scaled(m.lineAmount, MONEY_SCALE, LIMITS.amountDecimals, '/lineAmount', errors) : undefined
  const lineCost = 'lineCost' in m ? scaled(m.lineCost, MONEY_SCALE, LIMITS.amountDecimals, '/lineCost', errors) : undefined
  const bookQty = 'bookQty' in m ? scaled(m.bookQty, QTY_SCALE, LIMITS.qtyDecimals, '/bookQty', errors) : undefined
  if ('dueDate' in m && m.dueDate !== undefined) {
    if (!calendarValid(`${m.dueDate}T00:00:00`)) errors.push({ path: '/dueDate', message: 'is not a real date' })
    if ('dueAt' in m && m.dueAt !== undefined) errors.push({ path: '/dueDate', message: 'give dueAt (an instant) or dueDate (a business date), not both' })
  }
  if (errors.length === 0) lineErrors(qty, price, '/unitPrice', errors, '')
  if (errors.length === 0) lineErrors(qty, cost, '/unitCost', errors, '')
  if (m.type === 'transfer' && m.toWarehouse === m.warehouse) errors.push({ path: '/toWarehouse', message: 'must differ from warehouse' })
  if (m.type === 'cancel' && m.cancels === m.id) errors.push({ path: '/cancels', message: 'a movement cannot cancel itself' })
  if (errors.length > 0 || at === undefined) return reject(value, index, errors)
  const movement: NormalizedMovement = { index, m, type: m.type, at, due, qty, price, cost, amount }
  // the rare fields only when present: most movements stay small on the hot path
  if (lineAmount === undefined && lineCost === undefined && bookQty === undefined) return { ok: true, movement }
  return { ok: true, movement: { ...movement, lineAmount, lineCost, bookQty } }
}

/** Largest money of one line, in money units (a safe integer). */
export const LINE_MAX = LIMITS.lineAmount * MONEY_SCALE

/**
 * A line whose qty × price leaves LIMITS.lineAmount: an error naming the price field, so no
 * figure of an accepted movement can leave exact integer arithmetic. `after` says why, e.g. after
 * a currency conversion.
 */
export function lineErrors(qty: number, price: number | undefined, path: string, errors: FieldError[], after: string): void {
  if (price === undefined) return
  if (BigInt(qty) * BigInt(price) > BigInt(LINE_MAX) * BigInt(LINE_DIVISOR)) {
    errors.push({ path, message: `qty × ${path.slice(1)} is more than ${LIMITS.lineAmount.toLocaleString('en-US')}${after}, the largest money of one line` })
  }
}

export interface BatchValidation {
  movements: NormalizedMovement[]
  rejected: RejectedMovement[]
}

/** Validates a whole batch; the caller applies nothing when `rejected` is not empty. */
export function validateBatch(items: readonly unknown[], opts: ValidateOptions): BatchValidation {
  const movements: NormalizedMovement[] = []
  const rejected: RejectedMovement[] = []
  const each = { ...opts, now: opts.now ?? Date.now() }
  for (let i = 0; i < items.length; i++) {
    const outcome = validateMovement(items[i], i, each)
    if (outcome.ok) movements.push(outcome.movement)
    else rejected.push(outcome.rejected)
  }
  return { movements, rejected }
}

/** The dimension members a movement carries itself (master data fills the gaps). */
export function ownDimension(m: Movement, dim: Dimension): string | undefined {
  return (m as Partial<Record<Dimension, string>>)[dim]
}
