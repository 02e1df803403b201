/**
 * quiz.js: the quiz pages' data, made ready to show (pure, no DOM).
 *
 * A question's replay comes from the question bank in a loose shape; the
 * diagram (components/sessionview.js) accepts only the transcript format, so
 * `cleanExchange` rewrites each exchange. `textOf` and `pickText` turn an
 * answer or an explanation ({en, ru}, {text}, lists) into text in `lang`.
 */

/** An exchange the diagram accepts (it checks the transcript format). */
export function cleanExchange(ex, i) {
  const out = { seq: i + 1, from: ex.from === "server" ? "server" : "client", kind: ex.kind || "command",
    text: typeof ex.text === "string" ? ex.text : "", phase: ex.phase || null, verb: ex.verb || null,
    fault: faultOf(ex.fault) };
  if (out.kind === "reply") out.code = ex.code;
  if (typeof ex.t_ms === "number") out.t_ms = ex.t_ms;
  return out;
}

/** A fault as the diagram draws it: the bank sends only its action (which rule is no business of the learner's). */
export function faultOf(f) {
  if (!f || typeof f !== "object") return null;
  const actions = ["reply", "delay", "disconnect", "silent"];
  const out = { rule: Number.isInteger(f.rule) && f.rule >= 0 ? f.rule : 0,
    action: actions.includes(f.action) ? f.action : "reply" };
  if (f.natural && typeof f.natural === "object" && !Array.isArray(f.natural)) out.natural = f.natural;
  if (typeof f.delay_ms === "number") out.delay_ms = f.delay_ms;
  return out;
}

/** A text in `lang` from a {en, ru} value (English when `lang` is missing), or the value as text. */
export function pickText(value, lang = "en") {
  if (value && typeof value === "object") return value[lang] ?? value.en ?? "";
  return String(value ?? "");
}

/** An answer as text: a string, {en, ru}, {text}, or a list of those (an order, numbered). */
export function textOf(value, lang = "en") {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v, i) => `${i + 1}. ${textOf(v, lang)}`).join("  ");
  if (typeof value === "object") return value.text !== undefined ? textOf(value.text, lang) : pickText(value, lang);
  return String(value);
}
