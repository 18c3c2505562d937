/**
 * npm run years:rollup — sums the year buckets of a cockpit that held figures before year buckets
 * existed, from the month buckets (day buckets for SKUs and partners) of each year, then lets the
 * query engine read years over any period (docs/operations.md "Upgrading: year buckets"). Uses
 * REDIS_URL, COCKPIT_KEY_PREFIX, COCKPIT_TZ and COCKPIT_RETAIN_YEAR_S like the server. Safe to
 * run while the server ingests (each year bucket is summed in one atomic script call) and to run
 * again; each call holds Redis for as long as it reads one year of one counter, so prefer a quiet
 * hour.
 */
import { Redis } from 'ioredis'
import { rollUpYears } from '../aggregate/years.ts'
import { loadConfig } from '../config.ts'
import { createCalendar } from '../domain/time.ts'

const config = loadConfig({ ...process.env, COCKPIT_TOKEN_SECRET: '' })
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null })
redis.on('error', () => {})
const started = performance.now()
let last = 0
try {
  const report = await rollUpYears(redis, config.keyPrefix, createCalendar(config.timeZone), {
    retainYearS: config.retention.year,
    onProgress: (done, total) => {
      if (performance.now() - last < 1000 && done < total) return
      last = performance.now()
      process.stdout.write(`\r${done} / ${total} year buckets`)
    },
  })
  process.stdout.write(
    `\n${report.buckets} year buckets, ${report.fields} fields, ${report.rankings} SKU year rankings rebuilt, in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      (report.yearsFrom === 0 ? 'year buckets now hold every movement.\n' : `year buckets are read from ${new Date(report.yearsFrom).toISOString()} on.\n`),
  )
  if (report.refused.length) {
    process.stderr.write(`years:rollup: these year buckets hold sums past 2^53 and were left as they were:\n  ${report.refused.join('\n  ')}\n`)
    process.exitCode = 1
  }
} catch (err) {
  process.stderr.write(`years:rollup: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
} finally {
  redis.disconnect()
}
