// Copies the non-TypeScript files the server reads at run time (Lua scripts) next to the
// compiled JavaScript, so `npm start` runs from dist/ alone.
import { cpSync, mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'

const from = 'server/redis/scripts'
const to = join('dist/server', from)
mkdirSync(to, { recursive: true })
for (const file of readdirSync(from)) {
  if (file.endsWith('.lua')) cpSync(join(from, file), join(to, file))
}
mkdirSync(dirname(to), { recursive: true })
