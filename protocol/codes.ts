/**
 * What a code, an id or a display name may contain (protocol v1, issue #13). One place for the
 * patterns that movement, master-data and query schemas use, so a code the cockpit stores is a
 * code it can query, key and show.
 *
 * - A **code** (sku, warehouse, category, region, channel, partner, toWarehouse, master-data
 *   `code`): printable, no control character, no `<`, `>` or `|` (the `|` joins codes in
 *   Redis fields), no whitespace at either end. Letters of any script are welcome: 华东, 上海仓.
 * - A movement **id** (`id`, `ref`, `cancels`): printable, no control character (TAB included:
 *   it separates fields in Redis lists), no `<` or `>`.
 * - A display **name** (`name`, `nameEn`): free text without control characters.
 *
 * "Control character" means C0 (U+0000–U+001F, TAB, CR and LF included), DEL and C1
 * (U+007F–U+009F), the line and paragraph separators (U+2028, U+2029), the bidirectional
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: they reorder what a screen
 * shows), the byte order mark U+FEFF, the noncharacters U+FFFE/U+FFFF and unpaired surrogates.
 *
 * The patterns are JSON Schema `pattern`s for a Unicode (`u` flag) regular expression, as TypeBox
 * and Ajv compile them; without the `u` flag the surrogate range would refuse every character
 * outside the Basic Multilingual Plane.
 */

/** Characters no code, id or name may hold (a character-class body). */
const CONTROL = '\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF\\uFEFF\\uFFFE\\uFFFF'

/** Pattern of a code: printable, no control character, `<`, `>` or `|`, no whitespace at either end. */
export const CODE_PATTERN = `^[^\\s|<>${CONTROL}](?:[^|<>${CONTROL}]*[^\\s|<>${CONTROL}])?$`
/** Pattern of a movement id, `ref` and `cancels`: printable, no control character, no `<` or `>`. */
export const ID_PATTERN = `^[^<>${CONTROL}]+$`
/** Pattern of a display name: free text without control characters. */
export const NAME_PATTERN = `^[^${CONTROL}]*$`

/** Longest code, in characters. */
export const MAX_CODE_LENGTH = 64
/** Longest movement id (`id`, `ref`, `cancels`), in characters. */
export const MAX_ID_LENGTH = 128

/** What a refusal says, by pattern: the field is named by the error's path. */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [CODE_PATTERN]: 'must be printable, without control characters, <, > or |, and without spaces at either end',
  [ID_PATTERN]: 'must be printable, without control characters (tab included), < or >',
  [NAME_PATTERN]: 'must not contain control characters',
}

/** The human message for a failed `pattern`, when it is one of these; undefined otherwise. */
export function patternMessage(pattern: unknown): string | undefined {
  return typeof pattern === 'string' && Object.hasOwn(PATTERN_MESSAGES, pattern) ? PATTERN_MESSAGES[pattern] : undefined
}

/** A schema error's message: human for the patterns above, the validator's own otherwise. */
export function schemaErrorMessage(e: { keyword: string; message: string; params?: unknown }): string {
  return (e.keyword === 'pattern' ? patternMessage((e.params as { pattern?: unknown } | undefined)?.pattern) : undefined) ?? e.message
}
