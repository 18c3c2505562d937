import type { Redis } from 'ioredis'

/** Deletes every key of a test's own prefix (never FLUSHALL: the Redis is shared). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000)
    cursor = next
    if (keys.length) deleted += await redis.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}
