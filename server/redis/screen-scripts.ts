/**
 * The contracts of the screen scripts (server/redis/scripts/screen-save.lua, screen-delete.lua,
 * screens-seed.lua), run by server/plugins/screens.ts: their KEYS and ARGV as records, and the
 * call each encoder builds (`numkeys, key…, arg…` for EVAL). Each script's header lists the same
 * fields in the same order; tests/unit/screen-scripts-contract.test.ts fails when they drift apart.
 */
import { CockpitError } from '../errors.ts'
import type { Keys } from './keys.ts'
import { fieldList } from './script-fields.ts'

/** KEYS of screen-save.lua and screen-delete.lua. */
export interface ScreenKeys {
  /** hash of the screen: `def`, `version`, `updatedAt`, `title`, `kind` (`screen:{id}`) */
  screen: string
  /** sorted set of screen ids by creation time, epoch ms (`screens`) */
  screenIndex: string
  /** list of the saved versions, newest first (`screen:{id}:versions`) */
  versions: string
  /** the screen's draft, JSON (`screen:{id}:draft`) */
  draft: string
}

/** ARGV of screen-save.lua. */
export interface ScreenSaveArgs {
  /** the version the edit started from: a present screen is replaced only at that version */
  baseVersion: number
  /** the screen definition, JSON */
  definition: string
  /** time of the save, as the API shows it */
  updatedAt: string
  /** the screen id: its member in the index */
  id: string
  /** its title, listed without reading the definition */
  title: string
  /** its kind; '' = none */
  kind: string
  /** index score of a new screen: creation time, epoch ms */
  createdAt: number
  /** how many versions the history keeps */
  keep: number
  /** the stored draft (its JSON) this save publishes: deleted when it is still the stored one; '' = none */
  draft: string
  /** most members the index may hold: a new one past it is refused (`full`); 0 = no bound */
  max: number
}

/**
 * `['ok', version]` saved; `['conflict', version, definition, updatedAt]` the screen as it stands; `['full', members]`
 * a new one refused, the index holding `max` already.
 */
export type ScreenSaveReply = ['ok', version: string] | ['conflict', version: string, definition: string, updatedAt: string] | ['full', members: string]

/** ARGV of screen-delete.lua. Reply: 1 when the screen existed, else 0. */
export interface ScreenDeleteArgs {
  /** the screen id, removed from the index */
  id: string
}

/** KEYS of screens-seed.lua: these two, then one screen hash per template, in template order. */
export interface ScreensSeedKeys {
  /** set once the templates were stored (`screens:seeded`); never cleared */
  seeded: string
  /** sorted set of screen ids by creation time (`screens`) */
  screenIndex: string
}

/** ARGV of screens-seed.lua: these two, then each template's SeedTemplate fields. Reply: the ids stored. */
export interface ScreensSeedArgs {
  /** time of the seeding, as the API shows it */
  updatedAt: string
  /** index score base, epoch ms: the template at KEYS[i] gets baseScore + i */
  baseScore: number
}

/** One template to store, ARGV[3 + 4(j − 1)…] for the j-th template. */
export interface SeedTemplate {
  /** screen id (its hash is KEYS[2 + j]) */
  id: string
  /** the screen definition, JSON */
  definition: string
  title: string
  /** '' = none */
  kind: string
}

/** Every record of the screen scripts, fields in the order the encoders write them. */
export const SCREEN_SCRIPT_FIELDS = {
  ScreenKeys: fieldList<ScreenKeys>()(['screen', 'screenIndex', 'versions', 'draft']),
  ScreenSaveArgs: fieldList<ScreenSaveArgs>()(['baseVersion', 'definition', 'updatedAt', 'id', 'title', 'kind', 'createdAt', 'keep', 'draft', 'max']),
  ScreenDeleteArgs: fieldList<ScreenDeleteArgs>()(['id']),
  ScreensSeedKeys: fieldList<ScreensSeedKeys>()(['seeded', 'screenIndex']),
  ScreensSeedArgs: fieldList<ScreensSeedArgs>()(['updatedAt', 'baseScore']),
  SeedTemplate: fieldList<SeedTemplate>()(['id', 'definition', 'title', 'kind']),
} as const

/** The records of each script's header. */
export const SCREEN_SCRIPT_RECORDS = {
  'screen-save': ['ScreenKeys', 'ScreenSaveArgs'],
  'screen-delete': ['ScreenKeys', 'ScreenDeleteArgs'],
  'screens-seed': ['ScreensSeedKeys', 'ScreensSeedArgs', 'SeedTemplate'],
} as const satisfies Record<string, readonly (keyof typeof SCREEN_SCRIPT_FIELDS)[]>

/** `numkeys, key…, arg…` for EVAL. */
export type ScriptCall = [numKeys: number, ...keysAndArgs: (string | number)[]]

function values<T>(fields: readonly string[], record: T): (string | number)[] {
  return fields.map((f) => (record as Record<string, string | number>)[f]!)
}

function screenKeys(keys: Keys, id: string): ScreenKeys {
  return { screen: keys.screen(id), screenIndex: keys.screenIndex, versions: keys.screenVersions(id), draft: keys.screenDraft(id) }
}

export function screenSaveCall(keys: Keys, args: ScreenSaveArgs): ScriptCall {
  const k = values(SCREEN_SCRIPT_FIELDS.ScreenKeys, screenKeys(keys, args.id))
  return [k.length, ...k, ...values(SCREEN_SCRIPT_FIELDS.ScreenSaveArgs, args)]
}

/**
 * screen-save.lua for a definition other than a screen (alert rules and channels, report subscriptions): its hash
 * and index only, no history and no draft.
 */
export function definitionSaveCall(hash: string, index: string, args: Omit<ScreenSaveArgs, 'keep' | 'draft'>): ScriptCall {
  return [2, hash, index, ...values(SCREEN_SCRIPT_FIELDS.ScreenSaveArgs, { ...args, keep: 0, draft: '' })]
}

/** The error of a `full` reply: `what` (plural) already number `members`, the most a cockpit stores. */
export function limitReached(what: string, members: string): CockpitError {
  return new CockpitError('COCKPIT_ERR_LIMIT_REACHED', `this cockpit already stores ${members} ${what}, the most it keeps: delete one first`)
}

export function screenDeleteCall(keys: Keys, args: ScreenDeleteArgs): ScriptCall {
  const k = values(SCREEN_SCRIPT_FIELDS.ScreenKeys, screenKeys(keys, args.id))
  return [k.length, ...k, ...values(SCREEN_SCRIPT_FIELDS.ScreenDeleteArgs, args)]
}

export function screensSeedCall(keys: Keys, args: ScreensSeedArgs, templates: readonly SeedTemplate[]): ScriptCall {
  const seedKeys: ScreensSeedKeys = { seeded: keys.screensSeeded, screenIndex: keys.screenIndex }
  const k = [...values(SCREEN_SCRIPT_FIELDS.ScreensSeedKeys, seedKeys), ...templates.map((t) => keys.screen(t.id))]
  return [k.length, ...k, ...values(SCREEN_SCRIPT_FIELDS.ScreensSeedArgs, args), ...templates.flatMap((t) => values(SCREEN_SCRIPT_FIELDS.SeedTemplate, t))]
}
