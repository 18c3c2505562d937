import { Redis } from 'ioredis'
import { deletePrefix } from '../helpers/redis-prefix.ts'
const r = new Redis(); console.log('deleted', await deletePrefix(r, process.argv[2]!)); r.disconnect()
