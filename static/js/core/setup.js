/**
 * setup.js: the lab's share link, `#setup=` + base64url JSON (pure, no DOM).
 *
 * A set-up is `{v: 1, protocol, faults, scenario}` (or a lesson's
 * `{solution: "lesson/task"}`); the lab (pages/lab.js) writes one into the
 * link it shares and reads one back on load. `canonical` compares plans
 * whatever their key order (which preset a plan is).
 */
import { normaliseProtocol } from "./protocols.js";

/** UTF-8 text as base64url (no padding), for the share link. */
export function toBase64Url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url back to text; throws an Error with the page's message (t) on bad data. */
export function fromBase64Url(text, t) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error(t("ui.share.bad_encoding"));
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  let binary;
  try {
    binary = atob(padded);
  } catch {
    throw new Error(t("ui.share.bad_encoding"));
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/**
 * The set-up in the URL's `#setup=` part: {protocol, faults, scenario,
 * solution}, null when there is none; throws an Error whose message is in
 * the words of `t(key, params)` on bad data.
 */
export function readSetup(hash, t) {
  const match = /(?:^#|&)setup=([^&]*)/.exec(hash || "");
  if (!match) return null;
  let setup;
  try {
    setup = JSON.parse(fromBase64Url(decodeURIComponent(match[1]), t));
  } catch (exc) {
    throw new Error(exc instanceof SyntaxError ? t("ui.share.bad_json") : exc.message);
  }
  if (!setup || typeof setup !== "object" || Array.isArray(setup)) throw new Error(t("ui.share.bad_shape"));
  // A link made before the lab spoke POP3 and IMAP has no protocol: it was SMTP.
  const protocol = normaliseProtocol(setup.protocol ?? "smtp");
  if (!protocol) throw new Error(t("ui.share.bad_protocol", { protocol: String(setup.protocol).slice(0, 20) }));
  const plan = setup.faults ?? null;
  if (plan !== null && (typeof plan !== "object" || Array.isArray(plan))) throw new Error(t("ui.share.bad_shape"));
  const scenario = setup.scenario ?? null;
  if (scenario !== null && typeof scenario !== "string") throw new Error(t("ui.share.bad_shape"));
  // A lesson's "show me": the reference solution of one task, "lesson-slug/task-id".
  const solution = setup.solution ?? null;
  if (solution !== null && (typeof solution !== "string" || !/^[a-z0-9-]+\/[a-z0-9-]+$/.test(solution))) {
    throw new Error(t("ui.share.bad_shape"));
  }
  return { protocol, faults: plan, scenario, solution };
}

/** JSON with sorted keys: two plans compare equal whatever their key order. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
