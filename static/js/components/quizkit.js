/**
 * quizkit.js: what the quiz pages share (pages/quiz.js, quizme.js, teacher.js).
 *
 * `sendJSON` sends or fetches JSON and learns the server's clock from each
 * answer's Date header (`serverSkew()`: a quiz's deadline is the server's
 * time); `richText` makes `code spans` into <code> nodes, never markup;
 * `percent`, `when` and `label` format numbers, dates and known values in the
 * page's language.
 */
import { t, lang } from "../lib/i18n.js";
import { el } from "../lib/dom.js";
import { rest, checkConnection } from "../lib/http.js";

/** The server's clock minus ours (ms), learnt from each answer's Date header: a deadline is the server's time. */
let clockSkew = 0;

/** The server's clock minus this browser's, in ms (0 until an answer has said). */
export function serverSkew() {
  return clockSkew;
}

/**
 * Send or fetch JSON; resolves (never rejects) to {ok, status, data, error:
 * {code, message}}. GET when `body` is undefined and no method is given.
 */
export async function sendJSON(url, body, { method } = {}) {
  const answer = await rest(url, { method: method || (body === undefined ? "GET" : "POST"), body, indicate: true });
  const date = Date.parse(answer.date || "");
  if (!Number.isNaN(date)) clockSkew = date - Date.now();
  return answer;
}

export { checkConnection };

/** Plain text with `code spans` as nodes: the spans become <code>, everything else text. Never markup. */
export function richText(text) {
  const parts = String(text ?? "").split("`");
  if (parts.length % 2 === 0) return [String(text ?? "")]; // an unpaired backtick: all text
  return parts.map((part, i) => (i % 2 ? el("code", {}, part) : part)).filter((p) => p !== "");
}

/** A whole-number percentage in the page's language. */
export function percent(part, whole) {
  const value = whole ? part / whole : 0;
  try {
    return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(value);
  } catch {
    return `${Math.round(value * 100)}%`;
  }
}

/** A date and time (epoch seconds) in the page's language. */
export function when(seconds) {
  if (typeof seconds !== "number") return "";
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(seconds * 1000));
  } catch {
    return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  }
}

/** A string of a known set, else the raw value: `quiz.type.predict`, `quiz.mode.test`... */
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value ?? "") : text;
}
