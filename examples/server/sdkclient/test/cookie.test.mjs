// Cookie mode: settings say storage ["cookie"]; the SDK sends credentials,
// no device signatures, refreshes at start-up, and the session lives in
// the HttpOnly cookie.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdk, newClient, devCode, last, checkRecords, COOKIE_BASE } from './helpers.mjs';

const client = await newClient(COOKIE_BASE);

test('start-up in cookie mode refreshes (401 without a session)', () => {
  assert.equal(client.initStatus, 'finished', String(client.initError));
  assert.deepEqual(client.projectSettings.security.auth.storage, ['cookie']);
  assert.equal(last(client, 'POST', 'refresh').status, 401);
});

test('email sign-in sets the session cookie; no device headers', async () => {
  const email = 'sdk-cookie@example.com';
  const otp = await sdk.sendEmailOTP({ email }, client);
  await sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode(email, COOKIE_BASE) }, client);
  assert.equal(client.user.email, email);
  assert.ok(client.jar.get('DYNAMIC_JWT_TOKEN'), 'session cookie');
  const signin = last(client, 'POST', 'emailVerifications/signin');
  assert.equal(signin.headers['x-dynamic-device-nonce'], undefined);
  assert.equal(signin.body.minifiedJwt, undefined, 'tokens stay in the cookie');
});

test('the cookie authenticates; refresh and logout', async () => {
  const res = await sdk.refreshAuth(client);
  assert.ok(res.user.id);
  assert.equal(last(client, 'POST', 'refresh').status, 200);
  await sdk.logout(client);
  assert.ok(!client.jar.get('DYNAMIC_JWT_TOKEN'), 'cookie cleared');
  assert.equal(sdk.isSignedIn(client), false);
});

test('every response matches the generated client\'s models', () => {
  checkRecords(client);
});
