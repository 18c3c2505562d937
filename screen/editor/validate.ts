/**
 * Checks widget options against their manifest's schema with TypeBox's compiled validator (the
 * same schema the server checks on save) and says what is wrong, field by field, in the editor's
 * language.
 */
import { Compile } from 'typebox/compile'
import type { TSchema } from 'typebox'
import type { Locale } from '../../widgets/define-widget.ts'

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

function message(e: SchemaError, locale: Locale): string {
  const p = e.params
  const zh = locale === 'zh-CN'
  switch (e.keyword) {
    case 'required':
      return zh ? '必填' : 'required'
    case 'minimum':
      return zh ? `不能小于 ${p.limit}` : `must be ≥ ${p.limit}`
    case 'maximum':
      return zh ? `不能大于 ${p.limit}` : `must be ≤ ${p.limit}`
    case 'exclusiveMinimum':
      return zh ? `必须大于 ${p.limit}` : `must be > ${p.limit}`
    case 'exclusiveMaximum':
      return zh ? `必须小于 ${p.limit}` : `must be < ${p.limit}`
    case 'minLength':
      return zh ? `至少 ${p.limit} 个字符` : `at least ${p.limit} characters`
    case 'maxLength':
      return zh ? `最多 ${p.limit} 个字符` : `at most ${p.limit} characters`
    case 'minItems':
      return zh ? `至少选择 ${p.limit} 项` : `choose at least ${p.limit}`
    case 'maxItems':
      return zh ? `最多选择 ${p.limit} 项` : `choose at most ${p.limit}`
    case 'pattern':
      return zh ? '格式不正确' : 'not in the expected format'
    case 'enum':
    case 'const':
      return zh ? '不是可选的值' : 'not one of the allowed values'
    case 'type':
      return zh ? `类型应为 ${p.type}` : `must be a ${p.type}`
    case 'additionalProperties':
      return zh ? '未知的选项' : 'unknown option'
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
    errors[field] ??= message(e, locale)
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
  return v.Errors(value).map((e) => `${e.instancePath || '/'}: ${message(e, locale)}`)
}
