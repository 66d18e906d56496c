// TOTP enrolment the SDK's way (GET register/totp, then auth/totp with the
// new id), MFA at sign-in, MFA methods and the default device, recovery
// codes, the MFA token, and the SDK's MFA error classes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdk, newClient, devCode, decodeJWT, last, checkRecords, totp } from './helpers.mjs';

const client = await newClient();
const email = 'sdk-mfa@example.com';
const phone = { isoCountryCode: 'US', phoneNumber: '2015550188' };
let device; // {id, secret}
let recovery = [];
const sentAt = {};

// The server lets a destination have a new code only 30 s after the last
// one: the second sign-in on each destination waits that out (once, as
// both fall due together).
async function cooldown(to) {
  const wait = sentAt[to] ? sentAt[to] + 31000 - Date.now() : 0;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sentAt[to] = Date.now();
}
async function signInEmail() {
  await cooldown(email);
  const otp = await sdk.sendEmailOTP({ email }, client);
  return sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode(email) }, client);
}
async function signInSMS() {
  await cooldown('sms');
  const otp = await sdk.sendSmsOTP(phone, client);
  return sdk.verifyOTP({ otpVerification: otp, verificationToken: await devCode('+12015550188') }, client);
}

// Each TOTP step is accepted once per device, with one step of skew: the
// enrolment uses the previous step, the later sign-in the current one and
// the next, so the test never waits for the clock.
const step = (k) => totp(device.secret, Date.now() + k * 30000);

test('sign in by email, link a phone (OTP verify while signed in)', async () => {
  await signInEmail();
  await signInSMS(); // signed in: the SDK verifies, which links the phone
  assert.equal(last(client, 'POST', 'smsVerifications/verify').status, 200);
  assert.ok(client.user.verifiedCredentials.some((c) => c.format === 'phoneNumber'));
  assert.ok(client.user.verifiedCredentials.some((c) => c.format === 'email'));
});

test('TOTP enrolment: register, then auth/totp with the new id', async () => {
  const reg = await sdk.registerTotpMfaDevice(client);
  assert.ok(reg.id && reg.secret && reg.uri.startsWith('otpauth://totp/'));
  device = { id: reg.id, secret: reg.secret };
  const wrong = step(-1) === '000000' ? '111111' : '000000';
  await assert.rejects(sdk.authenticateTotpMfaDevice({ deviceId: device.id, code: wrong }, client), sdk.MfaInvalidOtpError);
  const res = await sdk.authenticateTotpMfaDevice({ deviceId: device.id, code: step(-1) }, client);
  assert.ok(res.minifiedJwt);
  assert.equal(client.user.scope, decodeJWT(client.token).scope);
  assert.ok(!client.user.scope.includes('requiresAdditionalAuth'));
  assert.equal(client.user.mfaBackupCodeAcknowledgement, 'pending');
  assert.equal(sdk.isPendingRecoveryCodesAcknowledgment(client), true);
});

test('MFA devices and methods; the default device', async () => {
  const devices = await sdk.getMfaDevices(client);
  const d = devices.find((x) => x.id === device.id);
  assert.ok(d && d.verified && d._default, JSON.stringify(devices));
  const methods = await sdk.getMfaMethods(client);
  assert.equal(methods.userHasVerifiedMfaMethods, true);
  assert.deepEqual(methods.devices.map((x) => x.id), [device.id]);
  assert.ok(Array.isArray(methods.passkeys));
  await sdk.setDefaultMfaDevice({ deviceId: device.id }, client);
  assert.equal(last(client, 'PUT', `users/mfa/${device.id}`).status, 204);
});

test('recovery codes: read, acknowledge', async () => {
  const got = await sdk.getMfaRecoveryCodes(client);
  assert.ok(got.recoveryCodes.length > 0, JSON.stringify(got));
  recovery = got.recoveryCodes;
  await sdk.acknowledgeRecoveryCodes(client);
  assert.equal(client.user.mfaBackupCodeAcknowledgement, 'complete');
});

test('sign-in of an MFA user is pending until TOTP; an MFA token on request', async () => {
  await sdk.logout(client);
  await signInSMS();
  assert.ok(client.user.scope.includes('requiresAdditionalAuth'), client.user.scope);
  assert.equal(sdk.isUserMissingMfaAuth(client), true);
  await sdk.authenticateTotpMfaDevice({ code: step(0), createMfaTokenOptions: { singleUse: true } }, client);
  assert.ok(!client.user.scope.includes('requiresAdditionalAuth'));
  assert.ok(client.mfaToken, 'the MFA token is stored');
  const regen = await sdk.createNewMfaRecoveryCodes(client);
  assert.ok(regen.recoveryCodes.length > 0);
  recovery = regen.recoveryCodes;
});

test('recovery code at sign-in; a wrong one is MfaInvalidOtpError', async () => {
  await sdk.logout(client);
  await signInEmail();
  await assert.rejects(sdk.authenticateMfaRecoveryCode({ code: 'not-a-code-00' }, client), sdk.MfaInvalidOtpError);
  await sdk.authenticateMfaRecoveryCode({ code: recovery[0], createMfaTokenOptions: { singleUse: true } }, client);
  assert.ok(!client.user.scope.includes('requiresAdditionalAuth'));
  assert.ok(client.mfaToken);
});

test('delete the device with the MFA token', async () => {
  await sdk.deleteMfaDevice({ deviceId: device.id, mfaAuthToken: client.mfaToken }, client);
  const methods = await sdk.getMfaMethods(client);
  assert.equal(methods.userHasVerifiedMfaMethods, false);
});

test('every response matches the generated client\'s models', () => {
  const seen = checkRecords(client);
  for (const m of ['MFARegisterTotpDeviceGetResponse', 'MFAListDevicesResponse', 'MFAMethodsResponse', 'MFAGetRecoveryCodesResponse', 'MFARegenRecoveryCodesResponse', 'UpdateSelfResponse']) {
    assert.ok(seen.has(m), `no ${m} answer was checked (${[...seen]})`);
  }
});
