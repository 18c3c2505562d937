import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

/** Where the sources' state is read: `GET /api/v1/sources` (docs/api.md "Sources"). */
export const SOURCES_PATH = '/sources'

/**
 * The ERP sources feeding the cockpit (database connectors): each one's state, how far behind the
 * ERP it is, the rows it read, applied and rejected, and its last error. Not a query: the host
 * polls `GET /api/v1/sources` (manifest `polls`).
 */
export const sourceStatus = defineWidget({
  id: 'source-status',
  version: 1,
  title: { 'zh-CN': '数据源状态', en: 'Data sources' },
  icon: '⇄',
  group: 'general',
  size: { w: 4, h: 4, minW: 2, minH: 2 },
  options: Type.Object({
    everySeconds: Type.Integer({ minimum: 5, maximum: 300, description: 'seconds between two reads of the sources' }),
    limit: Type.Integer({ minimum: 1, maximum: 50, description: 'most sources listed (the ones needing attention first)' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { everySeconds: 5, limit: 12 },
  labels: { everySeconds: { 'zh-CN': '刷新间隔（秒）', en: 'Refresh every (s)' } },
  migrations: {},
  queries: () => ({}),
  polls: (o) => ({ sources: { path: SOURCES_PATH, everyMs: o.everySeconds * 1000 } }),
})
