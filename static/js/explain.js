/**
 * explain.js: what the selected arrow means, and why it came.
 *
 * Every explanation is read from the reply catalogue (GET /api/catalogue),
 * the same one the engine answers from, so the page never says something
 * the server would not. For a fault-made reply it names the rule that made it
 * and what the engine would have answered instead. All text goes in as text.
 */
import { el, replace } from "./dom.js";
import { t, pick } from "./i18n.js";
import { describeRule } from "./faults.js";
import { wireLines } from "./transcript.js";

const CLASS_SYMBOL = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };
const PHASE_FIGURE = { establishment: "14.6", transfer: "14.7", termination: "14.8" };

/** A <dl> row, left out when the value is empty. */
function row(term, ...values) {
  const parts = values.filter((v) => v !== null && v !== undefined && v !== "");
  if (!parts.length) return null;
  return [el("dt", {}, term), el("dd", {}, ...parts)];
}

function code(text) {
  return el("code", {}, text);
}

/**
 * The client line an exchange answers: the last command (or message) before
 * it in `exchanges`, or null (the greeting answers nothing). A message is
 * given the verb DATA_END, as the catalogue's per-command advice names it.
 */
export function answeredCommand(exchanges, ex) {
  let index = exchanges.findIndex((x) => x === ex || (x.seq === ex.seq && x.session === ex.session));
  if (index < 0) index = exchanges.length;
  for (let i = index - 1; i >= 0; i -= 1) {
    const x = exchanges[i];
    if (x.from === "client" && x.kind === "command") return x;
    if (x.from === "client" && x.kind === "data") return { verb: "DATA_END", text: t("ui.explain.message_end") };
  }
  return null;
}

/**
 * Wire the explanation panel in `root` (its body is `[data-part=body]`).
 * `context(ex)` gives `{command, rule}`: the command a reply answers, and the
 * fault rule that was in force when a fault-made exchange came.
 */
export function createExplainer(root, { catalogue, context }) {
  const body = root.querySelector('[data-part="body"]') || root;
  let data = { codes: {}, replies: {}, commands: {}, classes: {}, categories: {}, advice: {}, notes: {} };
  let current = null;

  Promise.resolve(catalogue).then((loaded) => {
    if (loaded) data = { ...data, ...loaded };
    if (current) show(current);
  });

  function phaseRow(ex) {
    if (!ex.phase) return null;
    const figure = PHASE_FIGURE[ex.phase];
    return row(t("ui.explain.phase"), t(`ui.phase.${ex.phase}`),
      figure ? ` (${t("ui.explain.figure", { n: figure })})` : "");
  }

  function faultBlock(ex) {
    const fault = ex.fault;
    if (!fault) return null;
    const { rule } = context(ex) || {};
    const n = fault.rule + 1;
    const described = describeRule(rule);
    const natural = fault.natural;
    const naturalText = natural && natural.code
      ? t("ui.explain.natural_reply", { reply: natural.text || String(natural.code) })
      : t("ui.explain.natural_none");
    const actionKey = `ui.explain.fault_${fault.action || "reply"}`;
    return el("section", { class: "explain-why explain-fault" },
      el("h4", {}, el("span", { class: "fault-badge", "aria-hidden": "true" }, "⚡"), " ",
        t(ex.kind === "reply" ? "ui.explain.why" : "ui.explain.why_event")),
      el("p", {}, t(actionKey, { n }), described ? ` (${described})` : "", ". ", naturalText),
      natural && natural.key && data.replies[natural.key]
        ? el("p", { class: "explain-muted" }, t("ui.explain.natural_why"), " ", pick(data.replies[natural.key].why))
        : null);
  }

  /** What the client should do next: the catalogue's advice, per command where it has one. */
  function adviceFor(entry, verb) {
    const byCommand = (entry.advice_by_command || {})[verb];
    const key = byCommand ? byCommand.advice : entry.advice;
    const text = pick((data.advice || {})[key]) || pick(key);
    const why = byCommand ? pick(byCommand.why) : "";
    return [text, why ? el("span", { class: "explain-muted explain-block" }, why) : null];
  }

  function explainReply(ex) {
    const codeText = String(ex.code || "");
    const digit = codeText[0];
    const entry = data.codes[codeText] || {};
    const klass = data.classes[digit] || {};
    const category = data.categories[codeText[1]];
    const reply = data.replies[ex.key] || {};
    const { command } = context(ex) || {};
    const verb = command ? command.verb : "greeting";
    const meaning = pick(entry.meaning);
    const why = ex.fault
      ? faultBlock(ex)
      : pick(reply.why) && el("section", { class: "explain-why" },
        el("h4", {}, t("ui.explain.why")), el("p", {}, pick(reply.why)));
    const categoryText = category
      ? [el("strong", {}, pick(category.name)), pick(category.meaning) ? ` — ${pick(category.meaning)}` : ""]
      : [pick((data.notes || {}).categories)];
    return [
      el("h3", { class: `explain-title reply-${digit}xx` },
        el("span", { class: "explain-symbol", "aria-hidden": "true" }, CLASS_SYMBOL[digit] || "•"),
        el("span", { class: "explain-code" }, codeText),
        el("span", { class: "explain-meaning" }, meaning || t("ui.explain.reply"))),
      el("pre", { class: "explain-wire" }, ex.text),
      why,
      el("dl", { class: "explain-facts" },
        row(t("ui.explain.class", { digit }), pick(klass.name) && el("strong", {}, pick(klass.name)),
          pick(klass.meaning) ? ` — ${pick(klass.meaning)}` : ""),
        row(t("ui.explain.category", { digit: codeText[1] || "" }), ...categoryText),
        row(t("ui.explain.next"), ...adviceFor(entry, verb)),
        command ? row(t("ui.explain.answers"), code(command.text)) : null,
        row(t("ui.explain.lecture"), pick(entry.lecture)),
        row(t("ui.explain.note"), pick(entry.note)),
        row(t("ui.explain.rfc"), entry.rfc || ""),
        phaseRow(ex)),
    ];
  }

  function explainCommand(ex) {
    const verb = ex.verb || "";
    const entry = data.commands[verb];
    if (!entry) {
      return [
        el("h3", { class: "explain-title" }, el("span", { class: "explain-code" }, t("ui.explain.command"))),
        el("pre", { class: "explain-wire" }, ex.text),
        el("p", {}, t(verb === "UNKNOWN" ? "ui.explain.unknown_verb" : "ui.explain.no_entry")),
        el("dl", { class: "explain-facts" }, phaseRow(ex)),
      ];
    }
    return [
      el("h3", { class: "explain-title" },
        el("span", { class: "explain-code" }, verb),
        el("span", { class: "explain-meaning" }, t("ui.explain.command")),
        entry.obsolete ? el("span", { class: "tag tag-warn" }, t("ui.explain.obsolete")) : null),
      el("pre", { class: "explain-wire" }, ex.text),
      el("p", { class: "explain-lead" }, pick(entry.meaning)),
      el("dl", { class: "explain-facts" },
        row(t("ui.explain.syntax"), entry.syntax ? code(entry.syntax) : ""),
        row(t("ui.explain.argument"), pick(entry.lecture)),
        entry.aliases && entry.aliases.length ? row(t("ui.explain.aliases"), entry.aliases.join(", ")) : null,
        row(t("ui.explain.note"), pick(entry.note)),
        row(t("ui.explain.rfc"), entry.rfc || ""),
        phaseRow(ex)),
    ];
  }

  function explainData(ex) {
    const lines = wireLines(ex);
    return [
      el("h3", { class: "explain-title" },
        el("span", { class: "explain-code" }, "DATA"),
        el("span", { class: "explain-meaning" }, t("ui.explain.data_title"))),
      el("pre", { class: "explain-wire explain-message" }, lines.join("\n")),
      el("p", {}, t("ui.explain.data_lines", { n: Math.max(0, lines.length - 1) })),
      el("p", {}, t("ui.explain.data_end")),
      el("p", {}, t("ui.explain.data_stuffing")),
      faultBlock(ex),
      el("dl", { class: "explain-facts" }, row(t("ui.explain.rfc"), "RFC 5321 §4.1.1.4, §4.5.2"), phaseRow(ex)),
    ];
  }

  function explainTcp(ex) {
    const what = ["connect", "close", "timeout", "reset"].includes(ex.text) ? ex.text : "unknown";
    const who = ex.from === "server" ? t("ui.explain.by_server") : t("ui.explain.by_client");
    return [
      el("h3", { class: "explain-title explain-tcp" },
        el("span", { class: "explain-code" }, "TCP"),
        el("span", { class: "explain-meaning" }, t(`ui.tcp.${what}`))),
      el("p", { class: "explain-lead" }, t(`ui.explain.tcp_${what}`)),
      what === "close" ? el("p", {}, who) : null,
      faultBlock(ex),
      el("dl", { class: "explain-facts" },
        row(t("ui.explain.segments"), t(`ui.explain.tcp_${what}_segments`)),
        phaseRow(ex)),
    ];
  }

  function explainSilence(ex) {
    return [
      el("h3", { class: "explain-title" },
        el("span", { class: "explain-code" }, "…"),
        el("span", { class: "explain-meaning" }, t("ui.explain.silence_title"))),
      el("p", { class: "explain-lead" }, t("ui.explain.silence")),
      faultBlock(ex),
      el("dl", { class: "explain-facts" }, row(t("ui.explain.rfc"), "RFC 5321 §4.5.3.2"), phaseRow(ex)),
    ];
  }

  function show(ex) {
    current = ex;
    if (!ex) {
      replace(body, el("p", { class: "explain-empty" }, t("ui.explain.empty")));
      return;
    }
    let content;
    if (ex.kind === "reply") content = explainReply(ex);
    else if (ex.kind === "command") content = explainCommand(ex);
    else if (ex.kind === "data") content = explainData(ex);
    else if (ex.kind === "silence") content = explainSilence(ex);
    else content = explainTcp(ex);
    replace(body, el("article", { class: "explain" }, content));
  }

  show(null);
  return { show, clear: () => show(null) };
}
