/**
 * api.js: the page's line to the MailSim server (docs/api.md).
 *
 * `connect()` opens the Socket.IO connection and returns a small client whose
 * `call(event, payload)` always resolves, never rejects: with the server's
 * acknowledgement (`{ok: true, ...}` or `{ok: false, error: {code, message}}`),
 * or with a made-up `{ok: false, error}` when the server did not answer in
 * time. Callers therefore show errors instead of crashing. `rest()` does the
 * same for the REST endpoints, and `getCached()` fetches one once (http.js).
 */
import { io } from "../../vendor/socket.io/socket.io.esm.min.js";
import { t } from "./i18n.js";
import { rest, getCached } from "./http.js";

export { rest, getCached };

const ACK_TIMEOUT_MS = 10000;

function failure(code, message) {
  return { ok: false, error: { code, message } };
}

/** Normalise whatever came back as an acknowledgement. */
function asAnswer(answer) {
  if (answer && typeof answer === "object" && typeof answer.ok === "boolean") {
    if (!answer.ok) {
      const error = answer.error || {};
      return failure(error.code || "error", error.message || t("ui.error.unknown"));
    }
    return answer;
  }
  return failure("bad_answer", t("ui.error.unknown"));
}

/**
 * Open the connection. The header's indicator (#conn-status) follows its
 * state; `onStatus(status)` hears "connecting", "connected", "disconnected".
 */
export function connect({ onStatus } = {}) {
  const socket = io({ path: "/socket.io/" });
  const indicator = document.getElementById("conn-status");
  const status = (s) => {
    if (indicator) {
      indicator.dataset.status = s;
      indicator.textContent = t(`ui.conn.${s}`);
    }
    if (onStatus) onStatus(s);
  };
  status("connecting");
  socket.on("connect", () => status("connected"));
  socket.on("disconnect", () => status("disconnected"));
  socket.on("connect_error", () => status("disconnected"));

  return {
    socket,
    /** Send `event` and wait for its acknowledgement (never rejects). */
    async call(event, payload = {}, timeoutMs = ACK_TIMEOUT_MS) {
      try {
        const answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
        return asAnswer(answer);
      } catch {
        return failure("timeout", t("ui.error.timeout"));
      }
    },
    on(event, handler) {
      socket.on(event, handler);
      return () => socket.off(event, handler);
    },
    /** Run `handler` after every (re)connection, and now if already connected. */
    onConnect(handler) {
      socket.on("connect", handler);
      if (socket.connected) handler();
    },
  };
}
