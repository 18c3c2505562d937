/**
 * Checks widget options against their manifest's schema with TypeBox's compiled validator (the
 * same schema the server checks on save) and says what is wrong, field by field, in the editor's
 * language.
 */
import { Compile } from 'typebox/compile'
import type { TSchema } from 'typebox'
import type { Locale } from '../../widgets/define-widget.ts'
import { message } from '../../widgets/common/messages.ts'

interface SchemaError {
  keyword: string
  instancePath: string
  params: Record<string, unknown>
  message: string
}

type Validator = { Check(value: unknown): boolean; Errors(value: unknown): SchemaError[] }

const compiled = new WeakMap<TSchema, Validator>()

function validator(schema: TSchema): Validator {
  let v = compiled.get(schema)
  if (!v) compiled.set(schema, (v = Compile(schema) as unknown as Validator))
  return v
}

function describe(e: SchemaError, locale: Locale): string {
  const limit = { limit: String(e.params.limit) }
  switch (e.keyword) {
    case 'required':
      return message(locale, 'check.required')
    case 'minimum':
      return message(locale, 'check.minimum', limit)
    case 'maximum':
      return message(locale, 'check.maximum', limit)
    case 'exclusiveMinimum':
      return message(locale, 'check.exclusiveMinimum', limit)
    case 'exclusiveMaximum':
      return message(locale, 'check.exclusiveMaximum', limit)
    case 'minLength':
      return message(locale, 'check.minLength', limit)
    case 'maxLength':
      return message(locale, 'check.maxLength', limit)
    case 'minItems':
      return message(locale, 'check.minItems', limit)
    case 'maxItems':
      return message(locale, 'check.maxItems', limit)
    case 'pattern':
      return message(locale, 'check.pattern')
    case 'enum':
    case 'const':
      return message(locale, 'check.enum')
    case 'type':
      return message(locale, 'check.type', { type: String(e.params.type) })
    case 'additionalProperties':
      return message(locale, 'check.unknownOption')
    default:
      return e.message
  }
}

/** Field name → first problem; `''` holds problems of the object itself. Empty when valid. */
export function optionErrors(schema: TSchema, options: unknown, locale: Locale): Record<string, string> {
  const v = validator(schema)
  if (v.Check(options)) return {}
  const errors: Record<string, string> = {}
  for (const e of v.Errors(options)) {
    let field = e.instancePath.split('/')[1] ?? ''
    if (e.keyword === 'required' && Array.isArray(e.params.requiredProperties)) field = String(e.params.requiredProperties[0] ?? field)
    else if (e.keyword === 'additionalProperties' && Array.isArray(e.params.additionalProperties)) field = String(e.params.additionalProperties[0] ?? field)
    errors[field] ??= describe(e, locale)
  }
  return errors
}

/** True when a value matches a schema (for whole screens and imported files). */
export function matches(schema: TSchema, value: unknown): boolean {
  return validator(schema).Check(value)
}

/** Every problem of a value against a schema, as `path: message` lines. */
export function problems(schema: TSchema, value: unknown, locale: Locale): string[] {
  const v = validator(schema)
  if (v.Check(value)) return []
  return v.Errors(value).map((e) => `${e.instancePath || '/'}: ${describe(e, locale)}`)
}
