/* The reader's token (as the learner app takes it: URL fragment or postMessage from a trusted host, or the
   development sign-in; shared with the authors' page in /web/pages.js) and the statistics API: JSON reads
   and downloads saved as files. */

import { API, signInFor } from "/web/pages.js";

// sessionStorage: forgotten when the tab closes. "scope" in tokenState is a token without the stats scope.
export const {
  currentToken, forgetToken, keepToken, tokenState, takeTokenFromFragment, listenToHost, devSignInAvailable, devSignIn,
} = signInFor({ storageKey: "bdhvs-stats-token", scopes: ["stats"], devScope: "stats" });

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
