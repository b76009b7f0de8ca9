// A real OpenID Connect provider (panva/oidc-provider, OpenID Certified) for tests/auth/test_oidc_keys.py.
//
// Environment: PORT, ISSUER (e.g. http://127.0.0.1:PORT), SIGNING_KEYS_FILE (a JSON file {"keys": [private
// JWKs]}; the first key of an algorithm signs, the others are only published), AUDIENCE, JWKS_MAX_AGE (the
// Cache-Control max-age of the JWKS, seconds). The client "bdhvs-tests" gets JWT access tokens for the
// course service with a client_credentials grant; a rotation is a restart with another key file.
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const { PORT, ISSUER, SIGNING_KEYS_FILE, AUDIENCE, JWKS_MAX_AGE = '300' } = process.env;
const RESOURCE = 'urn:bdhvs:course-service';

const provider = new Provider(ISSUER, {
  jwks: JSON.parse(readFileSync(SIGNING_KEYS_FILE, 'utf8')),
  scopes: ['openid', 'learner'],
  clients: [
    {
      client_id: 'bdhvs-tests',
      client_secret: 'bdhvs-tests-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'learner',
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Error(`unknown resource ${resourceIndicator}`);
        return { scope: 'learner', audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
      },
    },
  },
  // The course service's token contract: a learner token names the learner's commune.
  extraTokenClaims: () => ({ locality: '00070' }),
});

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/jwks') ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE}`);
});

provider.listen(Number(PORT), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${ISSUER}`);
});
