/**
 * The editor's admin sign-in (docs/operations.md "Sign-in and throttling": keys never sit in localStorage). The administrator types
 * the admin key once; `POST /api/v1/session` turns it into an HttpOnly session cookie, which no
 * script can read, and a CSRF token, kept here in memory only and sent as `X-Cockpit-CSRF` with
 * the editor's requests (screen-api.ts). The key itself is forgotten as soon as it was sent. A
 * reload asks the server again (`GET /api/v1/session`), which hands the CSRF token back to the
 * cockpit's own pages only.
 */
import { readonly, ref } from 'vue'
import { API_PREFIX } from '../../protocol/api.ts'

/** Where older versions kept the admin key: purged once on load. */
export const ADMIN_KEY_STORAGE = 'cockpit.adminKey'
/** Header carrying the session's CSRF token. */
export const CSRF_HEADER = 'X-Cockpit-CSRF'
/** The editor's session: sign in, ask, sign out. */
const SESSION_URL = `${API_PREFIX}/session`

try {
  localStorage.removeItem(ADMIN_KEY_STORAGE)
} catch {
  // storage disabled (private mode): nothing was kept there
}

interface SessionAnswer {
  signedIn: boolean
  csrf?: string
  expiresAt?: string
}

/** Why a sign-in failed: the server's code and message (401 wrong key, 429 too many attempts). */
export class SignInError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** seconds to wait, from `Retry-After` (429) */
    readonly retryAfter?: number,
  ) {
    super(message)
    this.name = 'SignInError'
  }
}

const signedIn = ref(false)
let csrf: string | undefined
let checked: Promise<void> | undefined

function take(answer: SessionAnswer): void {
  csrf = answer.signedIn ? answer.csrf : undefined
  signedIn.value = csrf !== undefined
}

async function refresh(): Promise<void> {
  try {
    const res = await fetch(SESSION_URL, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    take(res.ok ? ((await res.json()) as SessionAnswer) : { signedIn: false })
  } catch {
    take({ signedIn: false })
  }
}

/** The CSRF token of this tab's session, if signed in (for screen-api.ts's requests). */
export function adminCsrf(): string | undefined {
  return csrf
}

/** The session was refused by the server (expired, signed out elsewhere): ask for the key again. */
export function sessionLost(): void {
  take({ signedIn: false })
}

export function useAdminSession() {
  /** resolves once the server said whether this browser is signed in (asked once per page) */
  function ready(): Promise<void> {
    checked ??= refresh()
    return checked
  }

  /** Signs in with the admin key; throws SignInError when the server refuses it. */
  async function signIn(key: string): Promise<void> {
    const res = await fetch(SESSION_URL, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ key: key.trim() }),
    })
    const body = (await res.json().catch(() => ({}))) as SessionAnswer & { error?: string; message?: string }
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after'))
      throw new SignInError(res.status, body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, Number.isFinite(retry) && retry > 0 ? retry : undefined)
    }
    take(body)
    checked = Promise.resolve()
  }

  async function signOut(): Promise<void> {
    take({ signedIn: false })
    await fetch(SESSION_URL, { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined)
  }

  return { signedIn: readonly(signedIn), ready, signIn, signOut }
}
