// Social sign-in the SDK's way, through the development fake provider
// (registered as github): the SDK builds the provider URL from
// settings.providers with its own PKCE challenge, the server relays the
// code to the app page as dynamicOauthState/dynamicOauthCode, and signIn
// carries the SDK's codeVerifier.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdk, newClient, last, checkRecords, APP_URL } from './helpers.mjs';

const client = await newClient();

// browse follows redirects as a browser would, up to the app page.
async function browse(url) {
  for (let i = 0; i < 5; i++) {
    if (url.startsWith(APP_URL)) return new URL(url);
    const res = await fetch(url, { redirect: 'manual' });
    assert.ok([302, 303, 307].includes(res.status), `${url}: ${res.status} ${await res.text()}`);
    url = new URL(res.headers.get('location'), url).href;
  }
  throw new Error('too many redirects');
}

test('signInWithSocialRedirect → provider → app page → completeSocialRedirect', async () => {
  await sdk.signInWithSocialRedirect({ provider: 'github', redirectUrl: APP_URL }, client);
  assert.equal(last(client, 'POST', 'providers/github/initAuth').status, 204);
  const providerURL = new URL(client.navigations.at(-1));
  const gh = client.projectSettings.providers.find((p) => p.provider === 'github');
  assert.ok(providerURL.href.startsWith(gh.baseAuthUrl), providerURL.href);
  assert.equal(providerURL.searchParams.get('redirect_uri'), gh.redirectUrl);
  assert.equal(providerURL.searchParams.get('code_challenge_method'), 'S256');

  const app = await browse(providerURL.href);
  assert.ok(app.searchParams.get('dynamicOauthState') && app.searchParams.get('dynamicOauthCode'), app.href);
  assert.equal(await sdk.detectOAuthRedirect({ url: app }, client), true);
  const user = await sdk.completeSocialRedirect({ url: app }, client);
  assert.ok(user, 'signed in');
  const signIn = last(client, 'POST', 'providers/github/signIn');
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
  assert.match(signIn.headers['x-dynamic-device-publickey'], /^0[23][0-9a-f]{64}$/);
  const cred = client.user.verifiedCredentials.find((c) => c.format === 'oauth');
  // The generated parser camel-cases the credential's fields.
  assert.equal(cred.oauthProvider ?? cred.oauth_provider, 'github', JSON.stringify(cred));
  assert.equal(cred.oauthAccountId ?? cred.oauth_account_id, '424242');
  assert.equal(sdk.isSignedIn(client), true);
});

test('a replayed redirect is refused: the state is single-use', async () => {
  const app = await (async () => {
    await sdk.logout(client);
    await sdk.signInWithSocialRedirect({ provider: 'github', redirectUrl: APP_URL }, client);
    return browse(client.navigations.at(-1));
  })();
  await sdk.completeSocialRedirect({ url: app }, client);
  const r = await fetch(last(client, 'POST', 'providers/github/signIn').url, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ state: app.searchParams.get('dynamicOauthState'), code: app.searchParams.get('dynamicOauthCode') }),
  });
  assert.equal(r.status, 422);
  assert.equal((await r.json()).code, 'invalid_verification');
});

test('every response matches the generated client\'s models', () => {
  checkRecords(client);
});
