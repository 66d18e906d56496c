// The smallest browser the headless SDK needs under Node: a window (the
// SDK treats its absence as server-side rendering and does not start), a
// location for redirects, and IndexedDB for its keychain, which keeps
// non-extractable WebCrypto keys (Node has WebCrypto itself).

class Location {
  constructor(href) { this.assign(href); }
  assign(href) { const u = new URL(href); Object.assign(this, { href: u.href, origin: u.origin, protocol: u.protocol, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash }); }
  replace(href) { this.assign(href); }
  toString() { return this.href; }
}

// A memory IndexedDB covering what the keychain uses: open, one object
// store with a keyPath, get/put/delete through a transaction.
function request(fn) {
  const req = { result: undefined, error: null, onsuccess: null, onerror: null, onupgradeneeded: null };
  queueMicrotask(() => {
    try { req.result = fn(req); req.onsuccess?.({ target: req }); } catch (e) { req.error = e; req.onerror?.({ target: req }); }
  });
  return req;
}
const databases = new Map();
const indexedDB = {
  open(name, version) {
    return request((req) => {
      let db = databases.get(name);
      const fresh = !db;
      if (!db) {
        const stores = new Map();
        db = {
          version: version ?? 1, stores,
          objectStoreNames: { contains: (n) => stores.has(n) },
          createObjectStore(n, { keyPath }) { stores.set(n, { keyPath, rows: new Map() }); },
          transaction(n) {
            const s = stores.get(n);
            return { objectStore: () => ({
              get: (k) => request(() => s.rows.get(k)),
              put: (v) => request(() => { s.rows.set(v[s.keyPath], v); }),
              delete: (k) => request(() => { s.rows.delete(k); }),
            }) };
          },
          close() {},
        };
        databases.set(name, db);
      }
      if (fresh || (version && version > db.version)) {
        if (version) db.version = version;
        req.result = db;
        req.onupgradeneeded?.({ target: req });
      }
      return db;
    });
  },
};

export function installBrowser(href) {
  const listeners = new Map();
  const win = globalThis;
  win.window = win;
  win.self = win;
  win.location = new Location(href);
  win.indexedDB = indexedDB;
  if (!('navigator' in win)) win.navigator = { userAgent: 'node' };
  win.addEventListener ??= (t, f) => { listeners.set(t, [...(listeners.get(t) ?? []), f]); };
  win.removeEventListener ??= (t, f) => { listeners.set(t, (listeners.get(t) ?? []).filter((g) => g !== f)); };
  // document.cookie: the SDK writes its own non-HttpOnly cookie in cookie
  // mode; the server's HttpOnly cookie lives in the client's cookie jar.
  let cookies = '';
  win.document ??= { get cookie() { return cookies; }, set cookie(v) { cookies = v; }, addEventListener() {}, removeEventListener() {}, visibilityState: 'visible' };
  win.history ??= { replaceState: (_s, _t, url) => { if (url) win.location.assign(new URL(url, win.location.href).href); }, pushState: () => {} };
  return win;
}

// memoryStorage is a StorageAdapter over a Map (the SDK's localStorage).
export function memoryStorage() {
  const m = new Map();
  return {
    getItem: async (k) => m.get(k) ?? null,
    setItem: async (k, v) => { m.set(k, v); },
    removeItem: async (k) => { m.delete(k); },
  };
}
