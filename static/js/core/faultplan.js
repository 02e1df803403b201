/**
 * faultplan.js: fault plans and their rules as data (pure, no DOM).
 *
 * A plan is `{seed, rules: [{stage, match, reply, text, delay_ms, disconnect,
 * silent, times, after, probability, note}]}` (docs/faults.md). The fault
 * panel (components/faults.js) edits one; the explanation panel
 * (components/explain.js) names the rule behind a fault-made reply. Both
 * take their words from here.
 */
import { normaliseProtocol } from "./protocols.js";

/** The protocol a preset or plan is for ("smtp" when it does not say). */
export function planProtocol(item) {
  return normaliseProtocol(item && item.protocol) || "smtp";
}

/** What a rule does, as the editor's "action" select names it. */
export function actionOf(rule) {
  if (rule.reply !== undefined && rule.reply !== null) return "reply";
  if (rule.disconnect) return "disconnect";
  if (rule.silent) return "silent";
  return "delay";
}

/**
 * One line about a rule, e.g. "at RCPT matching *@example.net: reply 450, 1
 * time", in the words of `t(key, params)` (the page's i18n t; the fault panel
 * and the explanation panel both name rules with it).
 */
export function describeRule(rule, t) {
  if (!rule || typeof rule !== "object") return "";
  const parts = [];
  const where = [t("ui.rule.at", { stage: rule.stage || "?" })];
  if (rule.match) where.push(t("ui.rule.matching", { match: rule.match }));
  const action = actionOf(rule);
  if (action === "reply") {
    // The reply's own text in the language's quotes (“…” in English, «…» in Russian).
    parts.push(rule.text ? t("ui.rule.reply_text", { code: rule.reply, text: rule.text }) : t("ui.rule.reply", { code: rule.reply }));
  }
  if (rule.delay_ms) parts.push(t("ui.rule.delay", { ms: rule.delay_ms }));
  if (action === "disconnect") parts.push(t("ui.rule.disconnect"));
  if (action === "silent") parts.push(t("ui.rule.silent"));
  if (rule.after) parts.push(t("ui.rule.after", { n: rule.after }));
  if (rule.times !== undefined && rule.times !== null) parts.push(t("ui.rule.times", { n: rule.times }));
  if (typeof rule.probability === "number" && rule.probability < 1) {
    parts.push(t("ui.rule.probability", { p: Math.round(rule.probability * 100) }));
  }
  return `${where.join(" ")}: ${parts.join(", ")}`;
}

/**
 * The plan without the editor's empty fields. Anything else, even a field the
 * editor does not know, goes to the server, which names what is wrong with it.
 */
export function cleanPlan(plan) {
  const { seed, rules, ...rest } = plan;
  if (!Array.isArray(rules)) return { ...rest, seed: seed ?? 0, rules: rules ?? [] };
  const clean = rules.map((rule) => {
    if (!rule || typeof rule !== "object") return rule;
    const out = {};
    for (const [name, value] of Object.entries(rule)) {
      if (value === "" || value === null || value === undefined || value === false) continue;
      if ((name === "delay_ms" || name === "after") && value === 0) continue;
      out[name] = value;
    }
    return out;
  });
  return { ...rest, seed: seed === undefined || seed === "" ? 0 : seed, rules: clean };
}

/** Where a bad_faults message points: {rule, field} or {field} ("seed", "json"). */
export function faultPath(message) {
  const match = /rules\[(\d+)\](?:\.(\w+))?/.exec(message || "");
  if (match) return { rule: Number(match[1]), field: match[2] || null };
  const plain = /\b(seed|rules|json|plan)(?=:)/.exec(message || "");
  return plain ? { rule: null, field: plain[1] } : null;
}
