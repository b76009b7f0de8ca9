/* The author's token (as the learner app takes it: URL fragment or postMessage from a trusted host, or the
   development sign-in) and the author API. The token lives in sessionStorage: forgotten when the tab closes. */

export const API = "/api/v1";
const TOKEN_KEY = "bdhvs-author-token";
const SCOPES = ["author", "admin"];

export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "===".slice((part.length + 3) % 4))));
    return JSON.parse(json);
  } catch (e) {
    return null;
  }
}

export function currentToken() { return sessionStorage.getItem(TOKEN_KEY); }
export function forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

export function keepToken(token) {
  if (typeof token !== "string" || token.length > 8192 || !claims(token)) return false;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

/* "ok", "none", "invalid", "expired" or "scope" (a token with neither the author nor the admin scope). */
export function tokenState(token) {
  if (!token) return { state: "none", scopes: [] };
  const c = claims(token);
  if (!c || !c.sub) return { state: "invalid", scopes: [] };
  const scopes = String(c.scope || c.scp || "").split(/\s+/).filter(Boolean);
  if (c.exp && c.exp * 1000 < Date.now()) return { state: "expired", scopes };
  if (!scopes.some((scope) => SCOPES.includes(scope))) return { state: "scope", scopes };
  return { state: "ok", scopes };
}

/* A token in the address (`/soan-bai#token=…`) is taken and removed from the address and history at once. */
export function takeTokenFromFragment() {
  if (!location.hash.startsWith("#token=")) return false;
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  history.replaceState(null, "", location.pathname + location.search);
  return token ? keepToken(token) : false;
}

function trustedOrigins() {
  const meta = document.querySelector('meta[name="bdhvs-trusted-origins"]');
  const listed = (meta && meta.content.split(/\s+/).filter(Boolean)) || [];
  return new Set([location.origin, ...listed]);
}

/* {type: "bdhvs:token", token} from this origin or a listed host (docs/app.md), then `onToken()`. */
export function listenToHost(onToken) {
  const trusted = trustedOrigins();
  window.addEventListener("message", (event) => {
    if (!trusted.has(event.origin)) return; // never a token from an origin we do not know
    const data = event.data;
    if (!data || data.type !== "bdhvs:token" || typeof data.token !== "string") return;
    if (keepToken(data.token)) onToken();
  });
  const host = window.parent !== window ? window.parent : window.opener;
  if (host) {
    for (const origin of trusted) {
      if (origin !== location.origin) host.postMessage({ type: "bdhvs:ready" }, origin);
    }
  }
}

/* Whether this server mints development author tokens (an empty `sub` is refused there with 422; 404 elsewhere). */
export async function devSignInAvailable() {
  try {
    const probe = await fetch(`${API}/dev/author-token`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sub: "" }),
    });
    return probe.status === 422;
  } catch (e) {
    return false;
  }
}

export async function devSignIn() {
  const response = await fetch(`${API}/dev/author-token`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
  });
  if (!response.ok) return false;
  return keepToken((await response.json()).token);
}

/* One call of the author API: {ok, status, data, error: {code, message}}; never throws. */
export async function call(path, { method = "GET", json, body, type } = {}) {
  const headers = { Authorization: `Bearer ${currentToken() || ""}` };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (type) headers["Content-Type"] = type;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: json !== undefined ? JSON.stringify(json) : body });
  } catch (e) {
    return { ok: false, status: 0, data: null, error: { code: "offline", message: "" } };
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  const error = response.ok ? null : (data && data.error) || { code: String(response.status), message: "" };
  return { ok: response.ok, status: response.status, data, error };
}

/* A draft's picture, fetched with the token (an <img> cannot send it) and shown from a blob: address. */
const pictures = new Map();
export async function picture(url) {
  if (!pictures.has(url)) {
    pictures.set(url, fetch(url, { headers: { Authorization: `Bearer ${currentToken() || ""}` } })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => (blob ? URL.createObjectURL(blob) : null))
      .catch(() => null));
  }
  return pictures.get(url);
}
