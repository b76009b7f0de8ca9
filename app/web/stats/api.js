/* The reader's token (as the learner app takes it: URL fragment or postMessage from a trusted host) and
   the statistics API: JSON reads and downloads saved as files. */

export const API = "/api/v1";
const TOKEN_KEY = "bdhvs-stats-token"; // sessionStorage: forgotten when the tab closes
const SCOPE = "stats";

export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "===".slice((part.length + 3) % 4))));
    return JSON.parse(json);
  } catch (e) {
    return null;
  }
}

export function currentToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function keepToken(token) {
  if (typeof token !== "string" || token.length > 8192 || !claims(token)) return false;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

/* What the token allows: "ok", "none", "invalid", "expired" or "scope" (a token without the stats scope). */
export function tokenState(token) {
  if (!token) return { state: "none" };
  const c = claims(token);
  if (!c || !c.sub) return { state: "invalid" };
  // The server reads the space-separated `scope` claim only (app/auth/tokens.py); so does the page.
  const scopes = (typeof c.scope === "string" ? c.scope : "").split(/\s+/).filter(Boolean);
  if (c.exp && c.exp * 1000 < Date.now()) return { state: "expired", scopes };
  if (!scopes.includes(SCOPE)) return { state: "scope", scopes };
  return { state: "ok", scopes };
}

/* A token in the address (`/thong-ke#token=…`) is taken and removed from the address and history at once. */
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

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request(path, params, { auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) headers.Authorization = `Bearer ${currentToken()}`;
  let response;
  try {
    response = await fetch(`${API}${path}${query(params)}`, { headers });
  } catch (e) {
    throw new ApiError(0, "offline", "no connection");
  }
  if (!response.ok) {
    let code = `http_${response.status}`;
    let message = "";
    try {
      const body = await response.json();
      code = body.error.code || code;
      message = body.error.message || "";
    } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, code, message, Number(response.headers.get("Retry-After")) || null);
  }
  return response;
}

export async function getJson(path, params, options) {
  return (await request(path, params, options)).json();
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

/* Downloads exactly what the API serves for these parameters (format=csv or xlsx), saved as a file. */
export async function download(path, params, format) {
  const response = await request(path, { ...params, format });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filenameOf(response, `thong-ke.${format}`);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return link.download;
}

/* Whether this server mints development stats tokens (an empty `sub` is refused with 422 where it does). */
export async function devSignInAvailable() {
  try {
    const probe = await fetch(`${API}/dev/stats-token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sub: "" }),
    });
    return probe.status === 422;
  } catch (e) {
    return false;
  }
}

export async function devSignIn() {
  const response = await fetch(`${API}/dev/stats-token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  if (!response.ok) return false;
  return keepToken((await response.json()).token);
}
