/**
 * Screens (protocol v1, docs/api.md "Screens"): a screen is JSON — design size, theme, how it adapts to a
 * display, and a grid of widget instances with their options. Stored by the server
 * (`/api/v1/screens`), rendered by the wall, the tablet and the editor, exchanged as files.
 * The server checks each instance's options against its widget's option schema
 * (widgets/<id>/manifest.ts); this schema checks the frame around them.
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** Screen ids are URL-safe slugs: `retail`, `board-2026`, `wh-shanghai`. */
export const SCREEN_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$'

/** How a fixed design canvas meets a display of another size. */
export const FIT_MODES = ['fit', 'fill', 'fitWidth'] as const
export type FitMode = (typeof FIT_MODES)[number]

export const THEMES = ['dark', 'light'] as const
export type Theme = (typeof THEMES)[number]

/** Most widgets one screen may hold. */
export const MAX_WIDGETS = 60

/** Languages the cockpit speaks: a screen's titles, the screen app and its widgets. */
export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

/**
 * A title per language (protocol v1, added without a version change: optional, and a screen
 * without it reads as before): `{ "zh-CN": "今日销售收入", "en": "Revenue today" }`. The text for
 * the screen's current language wins over the plain title; a language it does not name shows the
 * plain title (the screen's `title`, a widget's `options.title`, else the widget's own title).
 */
export const LocalizedTitles = Type.Object(
  {
    'zh-CN': Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    en: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  },
  { additionalProperties: false, description: 'title by language: zh-CN, en' },
)
export type LocalizedTitles = Static<typeof LocalizedTitles>

/** The title to show in a language: that language's own text, else the plain one. */
export function titleFor(titles: LocalizedTitles | undefined, locale: Locale, plain: string): string
export function titleFor(titles: LocalizedTitles | undefined, locale: Locale, plain?: string): string | undefined
export function titleFor(titles: LocalizedTitles | undefined, locale: Locale, plain?: string): string | undefined {
  return titles?.[locale] ?? plain
}

export const WidgetInstance = Type.Object(
  {
    /** unique within the screen: `revenue`, `top-skus` */
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'instance id, unique within the screen' }),
    /** widget type id from the registry: `kpi-card`, `trend-line`, … */
    widget: Type.String({ minLength: 1, maxLength: 64, description: 'widget type id' }),
    /** version of `options` (the widget manifest's version when they were written) @default the manifest's version */
    optionsVersion: Type.Optional(Type.Integer({ minimum: 1 })),
    options: Type.Record(Type.String(), Type.Unknown(), { description: "the widget's options (its manifest's schema)" }),
    /** the widget's title by language; wins over `options.title` for the language it names */
    titles: Type.Optional(LocalizedTitles),
    /** top-left cell and size, in grid cells */
    x: Type.Integer({ minimum: 0, maximum: 199 }),
    y: Type.Integer({ minimum: 0, maximum: 999 }),
    w: Type.Integer({ minimum: 1, maximum: 200 }),
    h: Type.Integer({ minimum: 1, maximum: 200 }),
  },
  { additionalProperties: false },
)
export type WidgetInstance = Static<typeof WidgetInstance>

export const ScreenDefinition = Type.Object(
  {
    id: Type.String({ pattern: SCREEN_ID_PATTERN }),
    title: Type.String({ minLength: 1, maxLength: 80 }),
    /** the title by language; wins over `title` for the language it names (lists and files keep `title`) */
    titles: Type.Optional(LocalizedTitles),
    /** design canvas in CSS pixels: 1920×1080, 3840×2160 or custom */
    design: Type.Object({ width: Type.Integer({ minimum: 320, maximum: 7680 }), height: Type.Integer({ minimum: 240, maximum: 4320 }) }, { additionalProperties: false }),
    theme: Type.Union([Type.Literal('dark'), Type.Literal('light')]),
    /** @default "fit" */
    fit: Type.Optional(Type.Union([Type.Literal('fit'), Type.Literal('fill'), Type.Literal('fitWidth')])),
    /** rows and columns of the widget grid; widgets must lie inside it */
    grid: Type.Object({ columns: Type.Integer({ minimum: 1, maximum: 200 }), rows: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }),
    widgets: Type.Array(WidgetInstance, { maxItems: MAX_WIDGETS }),
    /** seconds this screen stays up in a carousel @default 30 */
    dwellSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400 })),
    /**
     * whether a click on a member (a category bar, a warehouse row) on the wall filters the whole
     * screen (docs/views.md "Linked widgets"); off for unattended walls. Filters in the URL apply
     * either way, and the tablet and the editor always link @default true
     */
    linking: Type.Optional(Type.Boolean()),
    /** the wall shows firing alerts in a ticker along its bottom (docs/alerts.md) @default true */
    alertBanner: Type.Optional(Type.Boolean({ description: 'show firing alerts in a ticker on the wall' })),
    /** the business kind of a template: manufacturing, retail, ecommerce */
    kind: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
)
export type ScreenDefinition = Static<typeof ScreenDefinition>

/** A stored screen: the definition plus the version the server assigned (optimistic concurrency). */
export type StoredScreen = ScreenDefinition & {
  /** increases by one on every successful PUT; a PUT must name the version it was based on */
  version: number
  /** RFC 3339 */
  updatedAt: string
}

/** `GET /api/v1/screens` rows. */
export interface ScreenSummary {
  id: string
  title: string
  version: number
  updatedAt: string
  kind?: string
}

/** Most screens a cockpit stores: a new one past it is refused `COCKPIT_ERR_LIMIT_REACHED` (409). */
export const MAX_SCREENS = 1000

/** How many saved versions of a screen are kept (docs/reports.md "Screen history"). */
export const SCREEN_HISTORY_LENGTH = 50

/** `GET /api/v1/screens/:id/versions` rows, newest first. */
export interface ScreenVersionSummary {
  version: number
  /** when this version was saved, RFC 3339 */
  updatedAt: string
  title: string
  /** true for the version walls show now */
  current: boolean
}

/**
 * A screen's draft (`GET/PUT /api/v1/screens/:id/draft`): the definition, the published version it
 * was started from (`version`, 0 for a screen not published yet) and when it was last saved.
 * Walls keep showing the published screen until `POST /api/v1/screens/:id/publish`.
 */
export type StoredDraft = ScreenDefinition & { version: number; updatedAt: string }
