/**
 * Which web origins may call the API and open sockets: the server's own (the page it served)
 * and those configured (COCKPIT_ALLOWED_ORIGINS). A request without an `Origin` header is not
 * from a browser page of another site (ERP connectors, curl, same-origin GETs) and passes.
 */

/** `scheme://host[:port]` in lower case without a default port, or undefined when `raw` is not an http(s) origin */
function parseOrigin(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined
  return url.origin.toLowerCase()
}

/**
 * Distinct `Origin` values whose normal form is remembered. A browser sends its page's origin
 * with every API call and socket handshake, so a few are seen over and over; any client may send
 * any number, so past this many the memory starts over.
 */
export const REMEMBERED_ORIGINS = 256
const remembered = new Map<string, string | undefined>()

/** `scheme://host[:port]` in lower case without a default port, or undefined when `raw` is not an http(s) origin */
export function normalizeOrigin(raw: string): string | undefined {
  const known = remembered.get(raw)
  if (known !== undefined || remembered.has(raw)) return known
  const normal = parseOrigin(raw)
  if (remembered.size >= REMEMBERED_ORIGINS) remembered.clear()
  remembered.set(raw, normal)
  return normal
}

export interface OriginCheck {
  /** the request's `Origin` header, if any */
  origin: string | undefined
  /** the request's `Host` header (what the browser addressed) */
  host: string | undefined
  /** configured extra origins, normalised */
  allowed: readonly string[]
}

/** true when a request may proceed: no Origin, the server's own origin, or a configured one */
export function originAllowed({ origin, host, allowed }: OriginCheck): boolean {
  if (origin === undefined || origin === '') return true
  const normal = normalizeOrigin(origin)
  // `Origin: null` (sandboxed frames, file: pages) and anything unparsable is foreign
  if (normal === undefined) return false
  if (allowed.includes(normal)) return true
  if (host === undefined || host === '') return false
  // same host and port as the one the browser addressed: compared without the scheme, so a
  // TLS-terminating proxy in front (https outside, http to us) still counts as same-origin
  // (`normal` is `scheme://host[:port]` as URL serialises it: its host is what follows the `//`)
  return normal.slice(normal.indexOf('//') + 2) === host.toLowerCase()
}
