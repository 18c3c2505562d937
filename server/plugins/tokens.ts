/**
 * `POST /tokens` (admin, under API_PREFIX): mints signed viewer and embed tokens (docs/api.md "Tokens",
 * docs/embedding.md). The request is checked in full before anything is signed: an embed token's widget must be
 * valid, and each query it derives must still be answerable once the scope filter is merged — a
 * token that could never show anything is refused here rather than discovered on the intranet
 * page.
 */
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { TokenMinted, TokenRequest, withScope } from '../../protocol/tokens.ts'
import type { TokenRequest as TokenRequestType } from '../../protocol/tokens.ts'
import { CockpitError } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import { signToken } from '../auth/tokens.ts'
import { resolveWidget, schemaErrors } from '../screens/validate.ts'

const requestValidator = Compile(TokenRequest)
const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})

function invalid(errors: FieldError[]): CockpitError {
  return new CockpitError('COCKPIT_ERR_INVALID_TOKEN_REQUEST', `invalid token request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors)
}

export async function tokensRoutes(fastify: FastifyInstance): Promise<void> {
  const { authz, queryEngine, config } = fastify

  /** Static checks, then a dry run of the embed widget's scoped queries. */
  async function checkRequest(body: unknown): Promise<TokenRequestType> {
    const bad = schemaErrors(requestValidator, body)
    if (bad.length > 0) throw invalid(bad)
    const request = body as TokenRequestType
    if (request.kind === 'viewer') {
      if (request.widget) throw invalid([{ path: '/widget', message: 'only embed tokens name a widget' }])
      return request
    }
    if (!request.widget) throw invalid([{ path: '/widget', message: 'an embed token names the widget it shows: {widget, options}' }])
    const resolved = resolveWidget(request.widget.widget, request.widget.options, request.widget.optionsVersion, queryEngine.parse)
    if (!resolved.ok) throw invalid(resolved.errors.map((e) => ({ path: `/widget${e.path}`, message: e.message })))
    const problems: FieldError[] = []
    for (const [name, query] of Object.entries(resolved.queries)) {
      const scoped = withScope(query, request.scope)
      if (!scoped) {
        problems.push({ path: '/scope', message: `leaves nothing of the widget's query "${name}" (its own filter and the scope share no member)` })
        continue
      }
      try {
        await queryEngine.run(scoped)
      } catch (err) {
        if (!(err instanceof CockpitError) || err.statusCode !== 400) throw err
        problems.push({ path: '/scope', message: `the widget's query "${name}" cannot be restricted to this scope: ${err.message}` })
      }
    }
    if (problems.length > 0) throw invalid(problems)
    return request
  }

  fastify.post(
    '/tokens',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'Mint a signed viewer or embed token (docs/api.md#tokens)',
        body: Type.Unknown({ description: 'TokenRequest: {kind, scope?, widget?, expiresIn, label?}' }),
        response: { 200: TokenMinted, 400: ErrorBody, 401: ErrorBody, 501: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      if (!authz.tokensEnabled || config.tokenSecret === undefined) {
        throw new CockpitError('COCKPIT_ERR_TOKENS_DISABLED', 'signed tokens are disabled: set COCKPIT_TOKEN_SECRET (at least 32 characters) and restart')
      }
      const req = await checkRequest(request.body)
      const { token, expiresAt } = await signToken(config.tokenSecret, { kind: req.kind, scope: req.scope, widget: req.widget, label: req.label }, req.expiresIn)
      return { token, expiresAt: fastify.aggregator.calendar.format(expiresAt.getTime()) }
    },
  )
}
