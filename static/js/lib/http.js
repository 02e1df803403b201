/**
 * http.js: JSON over HTTP for every page, and the header's connection indicator.
 *
 * `rest()` GETs or sends JSON and always resolves, never rejects: to
 * `{ok: true, status, data, date}` or `{ok: false, status, data, error: {code,
 * message}}` (the server's own error when its body has one, else a message in
 * the page's language). A body with `ok: false` is a failure even on a 200.
 * `date` is the answer's Date header (a quiz's deadline is the server's time).
 * With `indicate`, the header's indicator (#conn-status) follows whether the
 * server answered, for pages without a Socket.IO connection of their own.
 */
import { t } from "./i18n.js";

/** Show whether the server answers in the header's indicator (#conn-status). */
export function setConnection(ok) {
  const indicator = document.getElementById("conn-status");
  if (!indicator) return;
  const status = ok ? "connected" : "disconnected";
  if (indicator.dataset.status === status) return;
  indicator.dataset.status = status;
  indicator.textContent = t(`ui.conn.${status}`);
}

/** Pages without a request of their own still say whether the server answers. */
export function checkConnection() {
  fetch("/healthz", { credentials: "same-origin" }).then((r) => setConnection(r.ok), () => setConnection(false));
}

export async function rest(url, { method = "GET", body, headers = {}, indicate = false } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    if (indicate) setConnection(false);
    return { ok: false, status: 0, error: { code: "network", message: t("ui.error.network") } };
  }
  if (indicate) setConnection(true);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const date = response.headers.get("Date");
  if (response.ok && !(data && data.ok === false)) return { ok: true, status: response.status, data, date };
  const error = (data && data.error) || {};
  return {
    ok: false,
    status: response.status,
    data,
    date,
    error: {
      code: error.code || `http_${response.status}`,
      message: error.message || t("ui.error.http", { status: response.status }),
    },
  };
}

/**
 * GET a JSON endpoint once, caching the promise: catalogue, scenarios,
 * presets, world. A failed answer is not kept: the next call asks again.
 */
const cache = new Map();
export function getCached(url) {
  if (!cache.has(url)) {
    const promise = rest(url).then((answer) => {
      if (!answer.ok) cache.delete(url);
      return answer;
    });
    cache.set(url, promise);
  }
  return cache.get(url);
}
