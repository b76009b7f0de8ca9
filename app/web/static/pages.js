/* What the dashboard (/thong-ke) and the authors' page (/soan-bai) share, served at /web/pages.js: the API
   prefix, the DOM helper and the sign-in (a token from the URL fragment, from a trusted host's postMessage,
   or from the development sign-in), each page with its own sessionStorage key and scopes. The learner app
   (app.js, a classic script) keeps its own copy of these few lines. Plain browser JavaScript, no build step. */

export const API = "/api/v1";

/* h("p", {class: "x"}, "text", child): text is always set as text, never parsed as HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/* The token's claims, read without checking its signature (the server checks it on every call). */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "===".slice((part.length + 3) % 4))));
    return JSON.parse(json);
  } catch (e) {
    return null;
  }
}

function trustedOrigins() {
  const meta = document.querySelector('meta[name="bdhvs-trusted-origins"]');
  const listed = (meta && meta.content.split(/\s+/).filter(Boolean)) || [];
  return new Set([location.origin, ...listed]);
}

/* One page's sign-in: its token in sessionStorage under `storageKey` (forgotten when the tab closes), "ok"
   when the token holds one of `scopes`, and the development sign-in asking POST /dev/token for `devScope`. */
export function signInFor({ storageKey, scopes, devScope }) {
  const currentToken = () => sessionStorage.getItem(storageKey);
  const forgetToken = () => sessionStorage.removeItem(storageKey);

  function keepToken(token) {
    if (typeof token !== "string" || token.length > 8192 || !claims(token)) return false;
    sessionStorage.setItem(storageKey, token);
    return true;
  }

  /* "ok", "none", "invalid", "expired" or "scope" (a token with none of the page's scopes), and its scopes. */
  function tokenState(token) {
    if (!token) return { state: "none", scopes: [] };
    const c = claims(token);
    if (!c || !c.sub) return { state: "invalid", scopes: [] };
    // The server reads the space-separated `scope` claim only (app/auth/tokens.py); so do the pages.
    const held = (typeof c.scope === "string" ? c.scope : "").split(/\s+/).filter(Boolean);
    if (c.exp && c.exp * 1000 < Date.now()) return { state: "expired", scopes: held };
    if (!held.some((scope) => scopes.includes(scope))) return { state: "scope", scopes: held };
    return { state: "ok", scopes: held };
  }

  /* A token in the address (`#token=…`) is taken and removed from the address and history at once. */
  function takeTokenFromFragment() {
    if (!location.hash.startsWith("#token=")) return false;
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    history.replaceState(null, "", location.pathname + location.search);
    return token ? keepToken(token) : false;
  }

  /* {type: "bdhvs:token", token} from this origin or a listed host (docs/app.md), then `onToken()`. */
  function listenToHost(onToken) {
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

  function devToken(body) {
    return fetch(`${API}/dev/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scope: devScope, ...body }),
    });
  }

  /* Whether this server mints development tokens (an empty `sub` is refused with 422 there; 404 elsewhere). */
  async function devSignInAvailable() {
    try {
      return (await devToken({ sub: "" })).status === 422;
    } catch (e) {
      return false;
    }
  }

  async function devSignIn() {
    try {
      const response = await devToken({});
      if (!response.ok) return false;
      return keepToken((await response.json()).token);
    } catch (e) {
      return false;
    }
  }

  return { currentToken, forgetToken, keepToken, tokenState, takeTokenFromFragment, listenToHost, devSignInAvailable, devSignIn };
}
