// Shared by the conformance tests: the server under test (from the
// environment sdkclient_test.go sets), a headless SDK client on a browser
// shim, a recorder of every API response, and the check of each response
// against the models of @dynamic-labs/sdk-api-core 0.40.0.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after } from 'node:test';
import { dirname, join } from 'node:path';
import { installBrowser, memoryStorage } from './browser-shim.mjs';

export const ENV = process.env.AUTHKIT_SDK_ENV;
export const BASE = process.env.AUTHKIT_SDK_BASE; // header mode
export const COOKIE_BASE = process.env.AUTHKIT_SDK_COOKIE_BASE; // cookie mode
export const APP_URL = process.env.AUTHKIT_SDK_APP_URL; // the app page (an allowed redirectUrl)
if (!ENV || !BASE || !COOKIE_BASE || !APP_URL) {
  throw new Error('run through examples/server/sdkclient_test.go (AUTHKIT_SDK_* unset)');
}

installBrowser(APP_URL);

// The SDK keeps timers (session expiry, nonce refills) that would hold the
// process open after the last test: leave once the results are reported.
after(() => { setTimeout(() => process.exit(), 100); });
const sdk = await import('@dynamic-labs-sdk/client');
const api = await import('@dynamic-labs/sdk-api-core');
export { sdk, api };

const realFetch = globalThis.fetch;

// ---- the client ------------------------------------------------------------

// newClient starts a headless SDK client against base. Every response of
// the API is recorded in client.records; cookies are kept per client, as a
// browser would (cookie mode needs them).
export async function newClient(base = BASE) {
  const records = [];
  const jar = new Map();
  const navigations = [];
  const fetch = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (jar.size && init.credentials !== 'omit') {
      headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await realFetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [k, ...v] = pair.split('=');
      const expired = attrs.some((a) => /^\s*max-age=(0|-)/i.test(a));
      if (expired) jar.delete(k.trim()); else jar.set(k.trim(), v.join('='));
    }
    const text = await res.clone().text();
    let body;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
    records.push({ method: (init.method ?? 'GET').toUpperCase(), url, status: res.status, body, headers: Object.fromEntries(headers) });
    return res;
  };
  const client = sdk.createDynamicClient({
    environmentId: ENV,
    coreConfig: {
      apiBaseUrl: base + '/api/v0',
      storageAdapter: memoryStorage(),
      fetch,
      navigate: async (url) => { navigations.push(url); },
    },
    metadata: { universalLink: new URL(APP_URL).origin },
    logLevel: 'warn',
  });
  await sdk.waitForClientInitialized(client);
  return Object.assign(client, { records, navigations, jar });
}

// route is a recorded request's path under /api/v0/sdk/{env}/.
export function route(rec) {
  const p = rec.url.pathname;
  const i = p.indexOf(`/sdk/${ENV}/`);
  return i < 0 ? p : p.slice(i + ENV.length + 6);
}

// last returns the newest recorded response of method and route.
export function last(client, method, path) {
  const r = client.records.findLast((x) => x.method === method && route(x) === path);
  assert.ok(r, `no ${method} ${path} recorded`);
  return r;
}

// ---- the server's development routes -----------------------------------------

// devCode is the newest one-time code the dev server sent to `to`.
export async function devCode(to, base = BASE) {
  const res = await realFetch(`${base}/dev/messages?to=${encodeURIComponent(to)}`);
  const msgs = await res.json();
  assert.ok(msgs.length, `no code sent to ${to}`);
  return msgs.at(-1).code;
}

// totp is the RFC 6238 code of a base32 secret at time t (SHA-1, 30 s, 6 digits).
export function totp(secret, t = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30000)));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

// nextStepCode waits for the next TOTP step and returns its code: a step
// is accepted once per device.
export async function nextStepCode(secret) {
  const wait = 30000 - (Date.now() % 30000) + 50;
  await new Promise((r) => setTimeout(r, wait));
  return totp(secret);
}

// decodeJWT returns a JWT's payload, unverified.
export function decodeJWT(tok) {
  return JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString());
}

// ---- checking responses against the generated client's models ---------------

const require = createRequire(import.meta.url);
const modelsDir = join(dirname(require.resolve('@dynamic-labs/sdk-api-core')), 'models');
const specs = new Map();

// spec reads a model's fields from its generated FromJSON function: the
// JSON name, whether it is required, and what it converts the value with.
function spec(name) {
  if (specs.has(name)) return specs.get(name);
  let src;
  try { src = readFileSync(join(modelsDir, `${name}.js`), 'utf8'); } catch { specs.set(name, null); return null; }
  const body = src.match(new RegExp(`function ${name}FromJSONTyped\\(json, ignoreDiscriminator\\) \\{[\\s\\S]*?return \\{([\\s\\S]*?)\\n    \\};`));
  if (!body) { specs.set(name, null); return null; }
  const fields = [];
  for (const line of body[1].split('\n')) {
    const m = line.match(/^\s*'(\w+)': (.*),$/);
    if (!m) continue;
    const expr = m[2];
    const json = [...expr.matchAll(/json\['(\w+)'\]/g)].at(-1)?.[1];
    const arrayOf = expr.match(/\.map\((\w+)FromJSON\)/)?.[1];
    const type = arrayOf ?? expr.match(/(\w+)FromJSON\(json/)?.[1];
    fields.push({ json, required: !expr.includes('!exists(json'), nullable: expr.includes('=== null ? null'),
      array: Boolean(arrayOf), type, date: expr.includes('new Date(') });
  }
  specs.set(name, fields);
  return fields;
}

// checkModel checks v against the model: required fields present, enum
// values valid, dates parseable, nested models and arrays recursively. It
// returns the list of problems.
export function checkModel(name, v, path = name) {
  const problems = [];
  const en = api[name];
  if (en && typeof en === 'object' && !Array.isArray(en) && !spec(name)) {
    if (!Object.values(en).includes(v)) problems.push(`${path}: ${JSON.stringify(v)} is not a ${name}`);
    return problems;
  }
  const fields = spec(name);
  if (!fields) return problems; // a free-form or composed type
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`${path}: want an object, got ${JSON.stringify(v)}`];
  for (const f of fields) {
    const x = v[f.json];
    const at = `${path}.${f.json}`;
    if (x === undefined) {
      if (f.required) problems.push(`${at}: required`);
      continue;
    }
    if (x === null) {
      if (f.required && !f.nullable) problems.push(`${at}: null`);
      continue;
    }
    if (f.date && Number.isNaN(new Date(x).getTime())) problems.push(`${at}: unparseable date ${JSON.stringify(x)}`);
    if (!f.type) continue;
    if (f.array) {
      if (!Array.isArray(x)) { problems.push(`${at}: want an array`); continue; }
      x.forEach((e, i) => problems.push(...checkModel(f.type, e, `${at}[${i}]`)));
    } else {
      problems.push(...checkModel(f.type, x, at));
    }
  }
  return problems;
}

// The model of each route's success answer ([A]'s SDKApi return types).
const models = [
  ['GET', /^settings$/, 'ProjectSettings'],
  ['GET', /^nonces$/, 'NoncesResponse'],
  ['GET', /^nonce$/, 'NonceResponse'],
  ['POST', /^emailVerifications\/(create|retry)$/, 'EmailVerificationCreateResponse'],
  ['POST', /^smsVerifications\/(create|retry)$/, 'SmsVerificationCreateResponse'],
  ['POST', /^(email|sms)Verifications\/signin$/, 'VerifyResponse'],
  ['POST', /^(email|sms)Verifications\/verify$/, 'UpdateSelfResponse'],
  ['POST', /^refresh$/, 'VerifyResponse'],
  ['GET', /^users$/, 'SdkUser'],
  ['PUT', /^users$/, 'UpdateSelfResponse'],
  ['GET', /^users\/mfa$/, 'MFAListDevicesResponse'],
  ['GET', /^users\/mfa\/methods$/, 'MFAMethodsResponse'],
  ['GET', /^users\/mfa\/register\/totp$/, 'MFARegisterTotpDeviceGetResponse'],
  ['POST', /^users\/mfa\/auth\/(totp|recovery)$/, 'VerifyResponse'],
  ['GET', /^users\/mfa\/recovery$/, 'MFAGetRecoveryCodesResponse'],
  ['POST', /^users\/mfa\/recovery$/, 'MFARegenRecoveryCodesResponse'],
  ['GET', /^users\/mfa\/[0-9a-f-]{36}$/, 'MFADevice'],
  ['POST', /^providers\/\w+\/(signIn|verify)$/, 'VerifyResponse'],
  ['POST', /^stepUp\/check$/, 'StepUpCheckResponse'],
  ['GET', /^\.well-known\/jwks(\.json)?$/, 'JwksResponse'],
];

// Codes the SDK maps that are not in the 422 enum, and ours of the spec.
const extraCodes = new Set(['mfa_rate_limited', 'sandbox_maximum_threshold_reached', 'email_verification_expired',
  'sms_verification_expired', 'invalid_device_signature', 'step_up_required', 'mfa_token_required', 'rate_limited',
  'unauthorized', 'insufficient_scope', 'validation_error', 'not_found', 'csrf_rejected']);

// checkRecords checks every recorded answer: a success against its model,
// an error as a flat {error: string, code?} body with a known code.
export function checkRecords(client) {
  const problems = [];
  const seen = new Set();
  for (const r of client.records) {
    const path = route(r);
    if (r.status >= 400) {
      if (typeof r.body?.error !== 'string') problems.push(`${r.method} ${path} ${r.status}: error body without a string error: ${JSON.stringify(r.body)}`);
      const code = r.body?.code;
      if (code && !Object.values(api.UnprocessableEntityErrorCode).includes(code) && !extraCodes.has(code)) {
        problems.push(`${r.method} ${path} ${r.status}: code ${code} is neither in the enum nor one the SDK knows`);
      }
      continue;
    }
    const m = models.find(([method, re]) => method === r.method && re.test(path));
    if (!m || r.body === undefined || r.status === 204) continue;
    seen.add(m[2]);
    problems.push(...checkModel(m[2], r.body, `${r.method} ${path}`));
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  return seen;
}
