/**
 * What an admin stores is bounded: screens, alert rules and channels, report subscriptions (screen-save.lua's
 * `max`). A new one past the bound is 409 COCKPIT_ERR_LIMIT_REACHED; replacing one, and creating after a delete,
 * stay possible. Alert channels (100) stand for the others: they share the script and the error.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MAX_ALERT_CHANNELS } from '../../protocol/alerts.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
const put = (id: string, body: object) =>
  server.app.inject({
    method: 'PUT',
    url: `/api/v1/alert-channels/${id}`,
    headers: { authorization: `Bearer ${server.adminKey}` },
    payload: { kind: 'webhook', urlEnv: 'TEST_HOOK_URL', ...body },
  })

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

test('the channel past the most a cockpit stores is refused; replacing and creating after a delete are not', async () => {
  for (let i = 0; i < MAX_ALERT_CHANNELS; i++) expect((await put(`ch-${i}`, {})).statusCode).toBe(200)
  const refused = await put('one-more', {})
  expect(refused.statusCode).toBe(409)
  expect(refused.json()).toMatchObject({ error: 'COCKPIT_ERR_LIMIT_REACHED' })
  expect(refused.json().message).toMatch(/100 alert channels/)
  expect((await server.app.inject({ method: 'GET', url: '/api/v1/alert-channels/one-more', headers: { authorization: `Bearer ${server.adminKey}` } })).statusCode).toBe(404)

  // a replacement is not a new one
  expect((await put('ch-7', { title: 'renamed', version: 1 })).statusCode).toBe(200)
  const gone = await server.app.inject({ method: 'DELETE', url: '/api/v1/alert-channels/ch-3', headers: { authorization: `Bearer ${server.adminKey}` } })
  expect(gone.statusCode).toBe(204)
  expect((await put('one-more', {})).statusCode).toBe(200)
  expect((await put('two-more', {})).statusCode).toBe(409)
})
