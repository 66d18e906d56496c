// Email change through PUT users (updateUser, then verifyOTP on the new
// address) and step-up: stepUp/check, an elevated token from TOTP
// re-authentication spent on a gated route, and the refusal without one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdk, newClient, devCode, decodeJWT, last, checkRecords, totp } from './helpers.mjs';

async function signInEmail(c, email) {
  const otp = await sdk.sendEmailOTP({ email }, c);
  return sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode(email) }, c);
}

const client = await newClient();
const oldEmail = 'sdk-change-old@example.com';
const newEmail = 'sdk-change-new@example.com';
const takenEmail = 'sdk-change-taken@example.com';

// Another user signs in with takenEmail first (its code's resend wait
// runs while the other tests do).
const other = await newClient();
await signInEmail(other, takenEmail);
const takenAt = Date.now();

const emails = (c) => c.user.verifiedCredentials.filter((x) => x.format === 'email').map((x) => x.email);

test('email change: updateUser sends a code to the new address, verifyOTP replaces the email', async () => {
  await signInEmail(client, oldEmail);
  const ch = await sdk.updateUser({ userFields: { email: newEmail, firstName: 'Ann' } }, client);
  assert.equal(ch?.email, newEmail, JSON.stringify(ch));
  assert.match(ch.verificationUUID, /^[0-9a-f-]{36}$/);
  const put = last(client, 'PUT', 'users');
  assert.equal(put.body.nextView, 'verify-email');
  assert.deepEqual(put.body.emailVerification, { verificationUUID: ch.verificationUUID, email: newEmail });
  assert.equal(client.user.email, oldEmail, 'the old email stays until verified');
  assert.equal(client.user.firstName, 'Ann');

  await sdk.verifyOTP({ otpVerification: ch, verificationToken: await devCode(newEmail) }, client);
  assert.equal(last(client, 'POST', 'emailVerifications/verify').body.nextView, 'done');
  assert.equal(client.user.email, newEmail);
  assert.deepEqual(emails(client), [newEmail]);
  assert.equal(decodeJWT(client.token).email, newEmail);
});

// The step-up user: a TOTP device, then an elevated credential:unlink
// token (a scope fresh MFA does not waive) to delete it.
const mfa = await newClient();
let device;

test('stepUp/check: not required without a second factor, required with one', async () => {
  await signInEmail(mfa, 'sdk-stepup@example.com');
  let chk = await sdk.checkStepUpAuth({ scope: 'credential:unlink' }, mfa);
  assert.equal(chk.isRequired, false);
  assert.equal(last(mfa, 'POST', 'stepUp/check').status, 200);

  const reg = await sdk.registerTotpMfaDevice(mfa);
  device = { id: reg.id, secret: reg.secret };
  await sdk.authenticateTotpMfaDevice({ deviceId: device.id, code: totp(device.secret, Date.now() - 30000) }, mfa);

  chk = await sdk.checkStepUpAuth({ scope: 'credential:unlink' }, mfa);
  assert.equal(chk.isRequired, true, JSON.stringify(chk));
  assert.ok(chk.credentials.length > 0, JSON.stringify(chk));
  assert.equal(last(mfa, 'POST', 'stepUp/check').body.isRequired, true);
});

test('a gated route without a proof is refused with step_up_required', async () => {
  await assert.rejects(sdk.deleteMfaDevice({ deviceId: device.id, mfaAuthToken: '' }, mfa));
  const r = last(mfa, 'DELETE', `users/mfa/${device.id}`);
  assert.equal(r.status, 403);
  assert.equal(r.body.code, 'step_up_required');
});

test('TOTP with requestedScopes gives an elevated token; the SDK spends it on the gated route', async () => {
  const res = await sdk.authenticateTotpMfaDevice({ deviceId: device.id, code: totp(device.secret), requestedScopes: ['credential:unlink'] }, mfa);
  assert.ok(res.elevatedAccessToken, JSON.stringify(res));
  assert.ok(decodeJWT(res.elevatedAccessToken).scope.split(' ').includes('credential:unlink'));
  // The SDK now answers from the token it holds, without asking the server.
  const n = mfa.records.length;
  assert.equal((await sdk.checkStepUpAuth({ scope: 'credential:unlink' }, mfa)).isRequired, false);
  assert.equal(mfa.records.length, n);

  await sdk.deleteMfaDevice({ deviceId: device.id }, mfa);
  const r = last(mfa, 'DELETE', `users/mfa/${device.id}`);
  assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.headers['x-dyn-elevated-access-token'], res.elevatedAccessToken);
  assert.equal((await sdk.getMfaMethods(mfa)).userHasVerifiedMfaMethods, false);
});

test('email change: the same address is done at once; another user\'s address is refused at verify', async () => {
  assert.equal(await sdk.updateUser({ userFields: { email: newEmail.toUpperCase() } }, client), undefined);
  assert.equal(last(client, 'PUT', 'users').body.nextView, 'done');

  // A destination gets a new code 30 s after the last one at the soonest.
  const wait = takenAt + 31000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const ch = await sdk.updateUser({ userFields: { email: takenEmail } }, client);
  assert.equal(ch?.email, takenEmail);
  await assert.rejects(sdk.verifyOTP({ otpVerification: ch, verificationToken: await devCode(takenEmail) }, client));
  const r = last(client, 'POST', 'emailVerifications/verify');
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'user_has_already_account_with_email');
  assert.equal(client.user.email, newEmail);
  checkRecords(other);
});

test('every response matches the generated client\'s models', () => {
  const seen = checkRecords(client);
  assert.ok(seen.has('UpdateSelfResponse'), `no UpdateSelfResponse checked (${[...seen]})`);
  const seenMFA = checkRecords(mfa);
  for (const m of ['StepUpCheckResponse', 'VerifyResponse', 'MFARegisterTotpDeviceGetResponse']) {
    assert.ok(seenMFA.has(m), `no ${m} answer was checked (${[...seenMFA]})`);
  }
});
