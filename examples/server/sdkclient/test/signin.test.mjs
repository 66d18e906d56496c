// Headless SDK start, email and SMS sign-in with device-bound requests,
// refresh and logout (revoke), as an app using @dynamic-labs-sdk/client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdk, newClient, devCode, decodeJWT, last, route, checkRecords, BASE } from './helpers.mjs';

const client = await newClient();

test('the headless SDK starts: settings parse, header mode', () => {
  assert.equal(client.initStatus, 'finished', String(client.initError));
  const s = client.projectSettings;
  assert.ok(s, 'projectSettings');
  assert.deepEqual(s.security.auth.storage, ['localstorage']);
  assert.ok(s.providers.some((p) => p.provider === 'github' && p.baseAuthUrl && p.clientId && p.redirectUrl));
  const r = last(client, 'GET', 'settings');
  assert.equal(r.url.searchParams.get('sdkVersion'), 'ClientSDK/1.27.1');
});

test('email sign-in, device-signed', async () => {
  const otp = await sdk.sendEmailOTP({ email: 'sdk-email@example.com' }, client);
  assert.ok(otp.verificationUUID);
  const res = await sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode('sdk-email@example.com') }, client);
  assert.equal(client.user.email, 'sdk-email@example.com');
  assert.equal(client.user.id, res.user.id);
  assert.ok(res.minifiedJwt && res.jwt, 'both tokens in header mode');
  assert.equal(client.token, res.minifiedJwt, 'the SDK bears the minified token');
  assert.equal(sdk.isSignedIn(client), true);
  // The SDK fetched nonces and signed the sign-in with its device key;
  // the server bound that key, and the session key, into the tokens.
  const signin = last(client, 'POST', 'emailVerifications/signin');
  const devKey = signin.headers['x-dynamic-device-publickey'];
  assert.match(devKey, /^0[23][0-9a-f]{64}$/);
  assert.match(signin.headers['x-dynamic-device-signed-nonce'], /^[0-9a-f]{128}$/);
  const claims = decodeJWT(res.minifiedJwt);
  assert.equal(claims.device_public_key, devKey);
  assert.equal(claims.session_public_key, signin.headers['x-dyn-session-public-key']);
  const full = decodeJWT(res.jwt);
  assert.ok(Array.isArray(full.missing_fields) && Array.isArray(full.verified_credentials));
  assert.equal(full.kid, JSON.parse(Buffer.from(res.jwt.split('.')[0], 'base64url')).kid);
  assert.equal(res.user.scope, claims.scope);
});

test('refresh keeps the session and its device', async () => {
  const before = decodeJWT(client.token);
  const res = await sdk.refreshAuth(client);
  const after = decodeJWT(res.minifiedJwt);
  assert.equal(after.sid, before.sid);
  assert.equal(after.device_public_key, before.device_public_key);
  assert.equal(client.token, res.minifiedJwt);
  const r = last(client, 'POST', 'refresh');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-dynamic-device-publickey'], before.device_public_key);
});

test('logout revokes the session', async () => {
  const token = client.token;
  await sdk.logout(client);
  assert.equal(sdk.isSignedIn(client), false);
  const r = last(client, 'POST', 'revoke');
  assert.ok(r.status >= 200 && r.status < 300, `revoke ${r.status}`);
  const res = await fetch(`${BASE}/api/v0/sdk/${process.env.AUTHKIT_SDK_ENV}/users`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 401);
});

test('SMS sign-in', async () => {
  const otp = await sdk.sendSmsOTP({ isoCountryCode: 'US', phoneNumber: '2015550123' }, client);
  assert.ok(otp.verificationUUID);
  await sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode('+12015550123') }, client);
  assert.equal(client.user.phoneNumber, '+12015550123');
  assert.ok(client.user.verifiedCredentials.some((c) => c.format === 'phoneNumber'));
});

test('a wrong code surfaces as an APIError with the enum code', async () => {
  const otp = await sdk.sendEmailOTP({ email: 'sdk-wrong@example.com' }, client);
  const right = await devCode('sdk-wrong@example.com');
  const wrong = right === '000000' ? '111111' : '000000';
  await assert.rejects(sdk.verifyOTP({ otpVerification: otp, verificationToken: wrong }, client), (e) => {
    assert.equal(e.code, 'wrong_email_verification_token');
    return true;
  });
});

test('every response matches the generated client\'s models', () => {
  const seen = checkRecords(client);
  for (const m of ['ProjectSettings', 'NoncesResponse', 'EmailVerificationCreateResponse', 'SmsVerificationCreateResponse', 'VerifyResponse']) {
    assert.ok(seen.has(m), `no ${m} answer was checked (${[...seen]})`);
  }
  assert.ok(client.records.every((r) => route(r) !== 'nonces' || r.status === 200));
});
