// The authkit demo page: plain JS against the server's SDK routes.
// The session token lives in this page's memory only (a reload signs out),
// which keeps the demo free of storage questions.
"use strict";

const env = document.querySelector('meta[name="authkit-env"]').content;
const api = "/api/v0/sdk/" + env + "/";
const $ = (id) => document.getElementById(id);

// Country calling codes for the SMS form (the SDK keeps a full table).
const callingCodes = { US: "1", CA: "1", GB: "44", FR: "33", DE: "49", ES: "34", IT: "39", NL: "31",
  BE: "32", CH: "41", SE: "46", NO: "47", DK: "45", PL: "48", PT: "351", IE: "353", IL: "972",
  IN: "91", JP: "81", KR: "82", CN: "86", SG: "65", AU: "61", NZ: "64", BR: "55", MX: "52", ZA: "27" };

const state = {
  token: null,      // minifiedJwt (header mode); null in cookie mode
  elevated: null,   // elevatedAccessToken (credential:link) from the last sign-in
  user: null,       // SdkUser
  otp: null,        // {channel, verificationUUID, destination}
  enrolment: null,  // id of the TOTP device being set up
};

// --- HTTP ---------------------------------------------------------------

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || "HTTP " + status);
    this.status = status;
    this.code = body && body.code;
  }
}

async function call(method, path, body, headers = {}) {
  const h = { "Content-Type": "application/json", ...headers };
  if (state.token) h.Authorization = "Bearer " + state.token;
  const res = await fetch(path.startsWith("/") ? path : api + path, {
    method, headers: h, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const ctype = res.headers.get("Content-Type") || "";
  const data = ctype.startsWith("application/json") ? await res.json() : null;
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

// A token-bearing response (VerifyResponse): keep the token and the user.
// In cookie mode the body carries no token and the cookie does the work.
function signedIn(r) {
  if (r.minifiedJwt) state.token = r.minifiedJwt;
  state.user = r.user;
  if (r.elevatedAccessToken) state.elevated = r.elevatedAccessToken;
  return render();
}

// The elevated token (credential:link) for the routes that add a factor;
// a single-use one is sent once, as the SDK does.
function elevatedHeader() {
  const t = state.elevated;
  if (!t) return {};
  try {
    const claims = JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    if (claims.singleUse) state.elevated = null;
  } catch {
    state.elevated = null;
  }
  return { "x-dyn-elevated-access-token": t };
}

// --- WebAuthn JSON <-> ArrayBuffer (base64url without padding) --------

function b64u(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64u(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

const descriptor = (c) => ({ ...c, type: "public-key", id: unb64u(c.id) });

async function createPasskey(o) {
  const publicKey = { ...o, challenge: unb64u(o.challenge), user: { ...o.user, id: unb64u(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map(descriptor) };
  const c = await navigator.credentials.create({ publicKey });
  const r = c.response;
  return {
    id: c.id, rawId: b64u(c.rawId), type: c.type,
    clientExtensionResults: c.getClientExtensionResults(),
    authenticatorAttachment: c.authenticatorAttachment || undefined,
    response: {
      attestationObject: b64u(r.attestationObject),
      clientDataJson: b64u(r.clientDataJSON), // the SDK's spelling on this route
      transports: r.getTransports ? r.getTransports() : undefined,
    },
  };
}

async function getPasskey(o) {
  const publicKey = { challenge: unb64u(o.challenge), rpId: o.rpId, timeout: o.timeout,
    userVerification: o.userVerification, allowCredentials: (o.allowCredentials || []).map(descriptor) };
  const c = await navigator.credentials.get({ publicKey });
  const r = c.response;
  return {
    id: c.id, rawId: b64u(c.rawId), type: c.type,
    clientExtensionResults: c.getClientExtensionResults(),
    authenticatorAttachment: c.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: b64u(r.clientDataJSON),
      authenticatorData: b64u(r.authenticatorData),
      signature: b64u(r.signature),
      userHandle: r.userHandle ? b64u(r.userHandle) : undefined,
    },
  };
}

// --- Rendering ----------------------------------------------------------

// status shows a message; code is the API error code, if any, kept in
// data-code for scripts (the browser test reads it).
function status(msg, isError, code) {
  $("status").textContent = msg || "";
  $("status").classList.toggle("error", !!isError);
  $("status").dataset.code = code || "";
}

function show(section) {
  for (const id of ["signed-out", "mfa-pending", "signed-in"]) $(id).hidden = id !== section;
}

const mfaPending = () => (state.user.scope || "").split(" ").includes("requiresAdditionalAuth");

async function render() {
  if (!state.user) {
    show("signed-out");
    return;
  }
  if (mfaPending()) {
    show("mfa-pending");
    return;
  }
  const u = state.user;
  $("user-id").textContent = u.id;
  const formats = { phoneNumber: "phone", email: "email", oauth: "OAuth", passkey: "passkey" };
  $("user-credentials").textContent = u.verifiedCredentials
    .map((c) => (formats[c.format] || c.format) + (c.public_identifier ? " " + c.public_identifier : "")).join(", ");
  $("user-scope").textContent = u.scope || "";
  show("signed-in");
  await Promise.all([listDevices(), listPasskeys()]);
}

async function listDevices() {
  const { devices } = await call("GET", "users/mfa");
  const n = devices.filter((d) => d.verified && d.type === "totp").length;
  $("totp-devices").textContent = n ? n + " authenticator app(s) set up." : "No authenticator app yet.";
}

async function listPasskeys() {
  const { passkeys } = await call("GET", "users/passkeys");
  const item = (text) => Object.assign(document.createElement("li"), { textContent: text });
  $("passkeys").replaceChildren(...passkeys.map((p) =>
    item((p.alias || "Passkey") + ", added " + new Date(p.createdAt).toLocaleString())));
  if (!passkeys.length) $("passkeys").append(item("None yet."));
}

// --- Actions ------------------------------------------------------------

// Each button runs one action; errors land in the status line.
function on(id, event, fn) {
  $(id).addEventListener(event, async (ev) => {
    ev.preventDefault();
    status("");
    try {
      await fn(ev);
    } catch (e) {
      status(e.name === "NotAllowedError" ? "The passkey prompt was dismissed." : e.message, true, e.code);
    }
  });
}

function channel() {
  return document.querySelector('input[name="channel"]:checked').value;
}

for (const r of document.querySelectorAll('input[name="channel"]')) {
  r.addEventListener("change", () => {
    $("sms-fields").hidden = channel() !== "sms";
    $("email-fields").hidden = channel() !== "email";
  });
}

on("otp-start", "submit", async () => {
  const ch = channel();
  let r, destination;
  if (ch === "sms") {
    const iso = $("iso").value.trim().toUpperCase();
    const cc = callingCodes[iso];
    if (!cc) throw new Error("Unknown country " + iso + "; try one of " + Object.keys(callingCodes).join(" "));
    const number = $("phone").value.replace(/[^0-9]/g, "");
    r = await call("POST", "smsVerifications/create", { phoneCountryCode: cc, phoneNumber: number, isoCountryCode: iso });
    destination = "+" + cc + number;
  } else {
    r = await call("POST", "emailVerifications/create", { email: $("email").value.trim() });
    destination = r.email;
  }
  state.otp = { channel: ch, verificationUUID: r.verificationUUID, destination };
  $("otp-destination").textContent = destination;
  $("outbox-link").href = "/dev/messages?to=" + encodeURIComponent(destination);
  $("otp-verify").hidden = false;
  $("otp-code").focus();
  status("Code sent.");
});

on("otp-verify", "submit", async () => {
  const o = state.otp;
  const r = await call("POST", o.channel + "Verifications/signin", {
    verificationUUID: o.verificationUUID, verificationToken: $("otp-code").value.trim(), allowNewMFALinking: true,
  });
  $("otp-verify").hidden = true;
  $("otp-code").value = "";
  await signedIn(r);
  status(mfaPending() ? "Code accepted; a second factor is needed." : "Signed in.");
});

on("passkey-signin", "click", async () => {
  const opts = await call("GET", "users/passkeys/signin");
  await signedIn(await call("POST", "users/passkeys/signin", await getPasskey(opts)));
  status("Signed in with a passkey.");
});

on("passkey-mfa", "click", async () => {
  const opts = await call("GET", "users/passkeys/authenticate");
  await signedIn(await call("POST", "users/mfa/auth/passkey", await getPasskey(opts)));
  status("Second factor confirmed with a passkey.");
});

on("mfa-totp", "submit", async () => {
  await signedIn(await call("POST", "users/mfa/auth/totp", { code: $("mfa-totp-code").value.trim() }));
  $("mfa-totp-code").value = "";
  status("Second factor confirmed.");
});

on("mfa-recovery", "submit", async () => {
  await signedIn(await call("POST", "users/mfa/auth/recovery", { code: $("mfa-recovery-code").value.trim() }));
  $("mfa-recovery-code").value = "";
  status("Signed in with a recovery code; it cannot be used again.");
});

on("totp-start", "click", async () => {
  const e = await call("GET", "users/mfa/register/totp", undefined, elevatedHeader());
  // The QR code is rendered by the server from the otpauth URI; the URI
  // holds the secret, so it goes in a POST body, never in a URL.
  const res = await fetch("/demo/qr", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ uri: e.uri }) });
  if (!res.ok) throw new Error("QR code: HTTP " + res.status);
  const img = $("totp-qr");
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
  await img.decode();
  state.enrolment = e.id;
  $("totp-secret").textContent = e.secret;
  $("totp-enrol").hidden = false;
  $("totp-start").hidden = true;
  $("totp-code").focus();
});

on("totp-confirm", "submit", async () => {
  // As Dynamic's SDK does: the first code with the new device's id confirms
  // it and returns a session that has just passed MFA, which may see the
  // recovery codes.
  await signedIn(await call("POST", "users/mfa/auth/totp", { id: state.enrolment, code: $("totp-code").value.trim() }));
  $("totp-code").value = "";
  $("totp-enrol").hidden = true;
  URL.revokeObjectURL($("totp-qr").src);
  $("totp-qr").removeAttribute("src");
  $("totp-start").hidden = false;
  // The recovery codes are shown once, right after the first device.
  const { recoveryCodes } = await call("GET", "users/mfa/recovery");
  if (recoveryCodes && recoveryCodes.length) {
    $("recovery-codes").replaceChildren(...recoveryCodes.map((c) => Object.assign(document.createElement("li"), { textContent: c })));
    $("recovery").hidden = false;
  }
  status("Authenticator app set up.");
});

on("recovery-ack", "click", async () => {
  await signedIn(await call("PUT", "users", { mfaBackupCodeAcknowledgement: "complete" }));
  $("recovery-codes").replaceChildren();
  $("recovery").hidden = true;
});

on("passkey-register", "click", async () => {
  const opts = await call("GET", "users/passkeys/register");
  const body = await createPasskey(opts);
  await signedIn(await call("POST", "users/passkeys/register", body, elevatedHeader()));
  status("Passkey added.");
});

async function signOut() {
  try {
    await call("POST", "revoke", undefined, { "x-dyn-logout-reason": "user-intent" });
  } finally {
    Object.assign(state, { token: null, elevated: null, user: null, otp: null, enrolment: null });
    $("recovery").hidden = true;
    $("recovery-codes").replaceChildren();
    $("totp-enrol").hidden = true;
    $("totp-start").hidden = false;
    await render();
  }
}

on("signout", "click", async () => {
  await signOut();
  status("Signed out.");
});
on("signout-pending", "click", signOut);

$("api-base").textContent = api;
// In cookie mode the session survives a reload: ask who we are.
call("GET", "users").then((u) => { state.user = u; }, () => {}).finally(render);
