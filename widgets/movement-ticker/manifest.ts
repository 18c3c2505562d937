import Type from 'typebox'
import { MOVEMENT_TYPES } from '../../protocol/movement.ts'
import { defineWidget } from '../define-widget.ts'
import { movementTickerMigrations } from './migrations.ts'

/**
 * The latest movements as they arrive, newest first: time, type, what moved where, quantity and
 * amount; a reversed movement is struck through. Reads `movements.recent` (the cockpit keeps the
 * latest 500), optionally only some movement types.
 */
export const movementTicker = defineWidget({
  id: 'movement-ticker',
  version: 2,
  title: { 'zh-CN': '实时动态', en: 'Live activity' },
  icon: '≡',
  group: 'general',
  size: { w: 4, h: 6, minW: 1, minH: 1 },
  options: Type.Object({
    /** only these movement types; all when absent */
    types: Type.Optional(Type.Array(Type.Enum(MOVEMENT_TYPES), { minItems: 1, maxItems: MOVEMENT_TYPES.length, description: 'only these movement types; all when absent' })),
    /** rows at most (fewer when the box is small) */
    limit: Type.Integer({ minimum: 3, maximum: 60, description: 'rows at most (fewer when the box is small)' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { limit: 30 },
  labels: { types: { 'zh-CN': '业务类型', en: 'Movement types' } },
  migrations: movementTickerMigrations,
  queries: (o) => ({ recent: { metric: 'movements.recent', top: o.limit, ...(o.types ? { types: o.types } : {}) } }),
})
