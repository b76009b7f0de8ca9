/* The author's token (as the learner app takes it: URL fragment or postMessage from a trusted host, or the
   development sign-in; shared with the dashboard in /web/pages.js) and the author API. */

import { API, signInFor } from "/web/pages.js";

// sessionStorage: forgotten when the tab closes. "scope" in tokenState is a token with neither author nor admin.
export const {
  currentToken, forgetToken, keepToken, tokenState, takeTokenFromFragment, listenToHost, devSignInAvailable, devSignIn,
} = signInFor({ storageKey: "bdhvs-author-token", scopes: ["author", "admin"], devScope: "author" });

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
