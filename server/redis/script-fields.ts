/**
 * Field lists of the records a Lua script reads, checked against their TypeScript types: the
 * scripts' headers list the same fields in the same order (tests/helpers/lua-header.ts reads them).
 */

/** A field name as a script header lists it: optional fields end with `?`. */
// `{} extends Pick<T, K>` holds exactly when K is optional: the usual test, and `{}` is what it needs
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type FieldName<T> = { [K in keyof T & string]-?: {} extends Pick<T, K> ? `${K}?` : K }[keyof T & string]

/** `L` when it names every field of `T` (the compiler refuses a missing or unknown field). */
type AllFields<T, L extends readonly FieldName<T>[]> = [Exclude<FieldName<T>, L[number]>] extends [never] ? L : { missing: Exclude<FieldName<T>, L[number]> }

/** `fieldList<T>()([...])`: the fields of `T` in the order given, every one of them. */
export const fieldList =
  <T>() =>
  <const L extends readonly FieldName<T>[]>(list: AllFields<T, L>): L =>
    list as L
