/**
 * Leases (`SET key holder NX PX ms`): one process at a time runs a task (a database source, one
 * alert rule's evaluation, the credit compaction). Renewing and releasing check the holder in one
 * script, so a process never extends or drops a lease another has taken since its own expired.
 */
import type { Redis } from 'ioredis'

/** KEYS[1] the lease, ARGV[1] the holder, ARGV[2] ms: extends it while still this holder's; 1 if it did */
export const LEASE_RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`
/** KEYS[1] the lease, ARGV[1] the holder: deletes it while still this holder's; 1 if it did */
export const LEASE_RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

/** Gives the lease back if `holder` still has it (errors ignored: it expires anyway). */
export async function releaseLease(redis: Redis, key: string, holder: string): Promise<void> {
  await redis.eval(LEASE_RELEASE_LUA, 1, key, holder).catch(() => 0)
}
