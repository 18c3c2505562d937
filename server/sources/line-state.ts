/**
 * What a source runner remembers of a document line whose ERP deletes lines with an edit (a stream
 * with `lines`, jshERP; docs/connectors.md "jshERP"), kept in `src:{id}:ln`: the document, when the
 * line was last read, the generation of its movement ids and whether they count now.
 *
 * Generations: a line whose movements were cancelled (its bill un-approved) and that counts again
 * (approved again) cannot reuse its ids — the cockpit keeps a cancelled id cancelled — so its
 * movements get the next generation's ids, `<id>:r<n>`, and a later cancel names that generation.
 */
import type { Movement } from '../../protocol/movement.ts'
import { cancelIdOf } from './mapping-kit.ts'

export interface LineState {
  doc: string
  /** epoch ms the line was last read */
  seenAt: number
  /** generation of the line's movement ids: 0 the mapping's own */
  gen: number
  /** its movements of that generation count (else they were cancelled) */
  counted: boolean
}

/** `doc TAB seenAt TAB gen TAB 1|0` */
export const lineStateText = (s: LineState): string => `${s.doc}\t${s.seenAt}\t${s.gen}\t${s.counted ? 1 : 0}`

export function parseLineState(text: string): LineState {
  const [doc = '', seenAt = '0', gen = '0', counted = '1'] = text.split('\t')
  return { doc, seenAt: Number(seenAt), gen: Number(gen) || 0, counted: counted !== '0' }
}

/** The id of a line's movement `id` in generation `gen`. */
export const generationId = (id: string, gen: number): string => (gen === 0 ? id : `${id}:r${gen}`)

/**
 * A row's movements in its line's generation, and the line's state after them. A row of cancels
 * only takes back the generation that counts; a row that counts again after its movements were
 * cancelled starts the next generation. The mapping names a cancel `cancelIdOf(target)`.
 */
export function inGeneration(movements: readonly Movement[], prev: LineState | undefined): { movements: Movement[]; gen: number; counted: boolean } {
  const counted = movements.some((m) => m.type !== 'cancel')
  const gen = prev === undefined ? 0 : counted && !prev.counted ? prev.gen + 1 : prev.gen
  if (gen === 0) return { movements: [...movements], gen, counted }
  return {
    gen,
    counted,
    movements: movements.map((m) => {
      if (m.type !== 'cancel') return { ...m, id: generationId(m.id, gen) }
      const target = generationId(m.cancels, gen)
      return { ...m, id: cancelIdOf(target), cancels: target }
    }),
  }
}
