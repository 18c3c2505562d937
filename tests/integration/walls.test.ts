/**
 * Wall control across two real server processes on one Redis: a wall that joined a name on
 * process B is told to show a screen by `POST /api/v1/walls/:wall/show` sent to process A, and
 * hears `screenChanged` for a screen saved through A.
 */
import { describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ScreenChanged, ServerToClientEvents, ShowCommand } from '../../protocol/events.ts'
import { useTwoServerProcesses } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const procs = useTwoServerProcesses('walls', { COCKPIT_SCREEN_DIR: '/nonexistent' })

async function wall(url: string, name: string): Promise<Client> {
  const c: Client = connect(url, { transports: ['websocket'], reconnection: false })
  procs.track(c)
  const ack = await new Promise<{ ok: boolean }>((resolve) => c.emit('joinWall', name, resolve))
  expect(ack).toEqual({ ok: true })
  return c
}

function show(url: string, wallName: string, body: unknown, key = 'ak') {
  return fetch(`${url}/api/v1/walls/${encodeURIComponent(wallName)}/show`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

function next<E extends 'show' | 'screenChanged'>(c: Client, event: E, ms = 3000): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms)
    c.once(
      event as 'show',
      ((m: ShowCommand) => {
        clearTimeout(timer)
        resolve(m as Parameters<ServerToClientEvents[E]>[0])
      }) as never,
    )
  })
}

describe('wall control across processes', () => {
  test('show sent to A reaches the wall joined on B, and only walls of that name', async () => {
    // the seed stored the templates: `retail` exists
    for (let i = 0; i < 50 && (await fetch(`${procs.a.url}/api/v1/screens/retail`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
    const lobby = await wall(procs.b.url, 'lobby')
    const boardroom = await wall(procs.a.url, 'boardroom')
    let strayShow = false
    boardroom.on('show', () => (strayShow = true))

    const heard = next(lobby, 'show')
    const res = await show(procs.a.url, 'lobby', { screen: 'retail' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ delivered: 1 })
    const command = (await heard) as ShowCommand
    expect(command).toMatchObject({ wall: 'lobby', screen: 'retail' })
    expect(Date.now() - new Date(command.at).getTime()).toBeLessThan(5000)

    // a second wall of the same name on A: both hear it
    const lobby2 = await wall(procs.a.url, 'lobby')
    const both = Promise.all([next(lobby, 'show'), next(lobby2, 'show')])
    expect(await (await show(procs.b.url, 'lobby', { screen: 'retail' })).json()).toEqual({ delivered: 2 })
    await both
    await new Promise((r) => setTimeout(r, 200))
    expect(strayShow).toBe(false)

    // a socket that joins another name leaves the first
    expect(await new Promise((resolve) => lobby2.emit('joinWall', 'boardroom', resolve))).toEqual({ ok: true })
    expect(await (await show(procs.a.url, 'lobby', { screen: 'retail' })).json()).toEqual({ delivered: 1 })
    expect(await (await show(procs.a.url, 'nobody-here', { screen: 'retail' })).json()).toEqual({ delivered: 0 })
  })

  test('unknown screen 404, no admin key 401, bad wall name or body 400', async () => {
    const missing = await show(procs.a.url, 'lobby', { screen: 'no-such-screen' })
    expect(missing.status).toBe(404)
    expect((await missing.json()).error).toBe('COCKPIT_ERR_SCREEN_NOT_FOUND')
    expect((await show(procs.a.url, 'lobby', { screen: 'retail' }, 'ik')).status).toBe(401)
    expect((await show(procs.a.url, 'lobby', {})).status).toBe(400)
    expect((await show(procs.a.url, 'bad name!', { screen: 'retail' })).status).toBe(400)
    const c: Client = connect(procs.a.url, { transports: ['websocket'], reconnection: false })
    procs.track(c)
    expect(await new Promise((resolve) => c.emit('joinWall', '', resolve))).toEqual({ ok: false })
  })

  test('screenChanged for a save through A reaches a socket on B', async () => {
    const c = await wall(procs.b.url, 'lobby')
    const heard = next(c, 'screenChanged')
    const current = (await (await fetch(`${procs.a.url}/api/v1/screens/retail`)).json()) as { version: number }
    const res = await fetch(`${procs.a.url}/api/v1/screens/retail`, {
      method: 'PUT',
      headers: { authorization: 'Bearer ak', 'content-type': 'application/json' },
      body: JSON.stringify({ ...current, title: 'Retail (edited)' }),
    })
    expect(res.status).toBe(200)
    expect((await heard) as ScreenChanged).toEqual({ id: 'retail', version: current.version + 1 })
  })
})
