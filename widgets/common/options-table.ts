/**
 * A widget's options as a Markdown table (name, type, default, meaning), read from its manifest:
 * docs/widgets.md carries these tables, and a unit test keeps them in step with the manifests.
 */
import type { WidgetManifest } from '../define-widget.ts'

interface SchemaNode {
  type?: string
  enum?: readonly unknown[]
  anyOf?: readonly SchemaNode[]
  const?: unknown
  items?: SchemaNode
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  maxLength?: number
  pattern?: string
  description?: string
}

function typeOf(s: SchemaNode): string {
  if (s.enum) return s.enum.length > 8 && s.enum.every((v) => String(v).includes('.')) ? 'metric name' : s.enum.map((v) => `\`${String(v)}\``).join(' \\| ')
  if (s.anyOf) return s.anyOf.map((x) => (x.const !== undefined ? `\`${String(x.const)}\`` : typeOf(x))).join(' \\| ')
  if (s.type === 'array' && s.items) {
    const n = s.minItems !== undefined || s.maxItems !== undefined ? ` (${s.minItems ?? 0}–${s.maxItems ?? '…'})` : ''
    return `list of ${typeOf(s.items)}${n}`
  }
  if ((s.type === 'integer' || s.type === 'number') && (s.minimum !== undefined || s.maximum !== undefined)) {
    const big = (v: number | undefined) => v === undefined || Math.abs(v) >= 1e9
    return big(s.minimum) && big(s.maximum) ? s.type : `${s.type} ${s.minimum ?? '…'}–${s.maximum ?? '…'}`
  }
  if (s.type === 'string' && s.pattern?.startsWith('^(today')) return 'window'
  return s.type ?? 'any'
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export function optionsTable(manifest: WidgetManifest): string {
  const schema = manifest.options as unknown as { properties: Record<string, SchemaNode>; required?: string[] }
  const defaults = manifest.defaults as Record<string, unknown>
  const rows = Object.entries(schema.properties).map(([name, s]) => {
    const required = schema.required?.includes(name) ?? false
    const def = defaults[name] === undefined ? (required ? '' : '—') : `\`${JSON.stringify(defaults[name])}\``
    const meaning = name === 'title' ? 'title override (else the widget type’s title)' : (s.description ?? '')
    return `| \`${name}\`${required ? '' : ' (optional)'} | ${typeOf(s)} | ${cell(def)} | ${cell(meaning)} |`
  })
  return ['| option | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}
