/**
 * explain.js: what the selected arrow means, and why it came.
 *
 * Every explanation is read from the protocol's reply catalogue (GET
 * /api/catalogue?protocol=), the same one the engine answers from, so the
 * page never says something the server would not. For a fault-made reply it
 * names the rule that made it and what the engine would have answered
 * instead. SMTP, POP3 and IMAP share the layout (title, wire text, why,
 * facts); each adds what it has: SMTP's class and category digits, POP3's
 * multi-line bodies and its delete and keep modes, IMAP's tags and untagged
 * responses. All text goes in as text. The wire text boxes scroll, so they
 * take keyboard focus (a long message can be read without a mouse).
 */
import { el, replace } from "../lib/dom.js";
import { t, has, pick } from "../lib/i18n.js";
import { describeRule } from "../core/faultplan.js";
import { wireLines } from "./transcript.js";
import {
  normaliseProtocol, codeClass, classesFromCatalogue, phaseFigure, bandOf, answeredIndex,
  imapReply, imapTag, imapVerb, pop3Reply, pop3Mode, replyLine,
} from "../core/protocols.js";

const CLASS_SYMBOL = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };
const SILENCE_RFC = { smtp: "RFC 5321 §4.5.3.2", pop3: "RFC 1939 §3", imap: "RFC 3501 §5.4" };
const POP3_MODE_VERBS = new Set(["RETR", "TOP", "DELE", "UIDL", "QUIT", "RSET"]);
const CLEARTEXT = { pop3: new Set(["PASS"]), imap: new Set(["LOGIN"]) };

/** A <dl> row, left out when the value is empty. */
function row(term, ...values) {
  const parts = values.filter((v) => v !== null && v !== undefined && v !== "");
  if (!parts.length) return null;
  return [el("dt", {}, term), el("dd", {}, ...parts)];
}

function code(text) {
  return el("code", {}, text);
}

/** `key_protocol` when that string exists (e.g. ui.explain.tcp_connect_pop3), else `key`. */
function tp(key, protocol, params) {
  const own = `${key}_${protocol}`;
  return protocol !== "smtp" && has(own) ? t(own, params) : t(key, params);
}

/**
 * The client line an exchange answers: a command (IMAP: the one with the
 * reply's tag), the message (given the verb DATA_END, as the catalogue's
 * per-command advice names it), or null (the greeting answers nothing).
 */
export function answeredCommand(exchanges, ex, protocol = "smtp") {
  let index = exchanges.findIndex((x) => x === ex || (x.seq === ex.seq && x.session === ex.session));
  if (index < 0) index = exchanges.length;
  const list = index < exchanges.length ? exchanges : [...exchanges, ex];
  const found = answeredIndex(list, index, protocol);
  if (found < 0) return null;
  const x = list[found];
  if (x.kind === "data") return { verb: "DATA_END", text: t("ui.explain.message_end") };
  return x;
}

/**
 * Wire the explanation panel in `root` (its body is `[data-part=body]`).
 * `catalogue` is a promise of the protocol's catalogue; `context(ex)` gives
 * `{command, rule, exchanges}`: the command a reply answers, the fault rule
 * that was in force when a fault-made exchange came, and the session's
 * exchanges so far. `setSource({protocol, catalogue})` switches protocol.
 */
export function createExplainer(root, { catalogue, context, protocol: initial = "smtp" }) {
  const body = root.querySelector('[data-part="body"]') || root;
  const EMPTY = { codes: {}, replies: {}, commands: {}, classes: {}, categories: {}, advice: {}, notes: {} };
  let data = EMPTY;
  let classes = {};
  let protocol = normaliseProtocol(initial) || "smtp";
  let current = null;
  let loading = 0;

  function load(promise) {
    const mine = ++loading;
    data = EMPTY;
    classes = {};
    Promise.resolve(promise).then((loaded) => {
      if (mine !== loading) return;
      data = loaded ? { ...EMPTY, ...loaded } : EMPTY;
      classes = classesFromCatalogue(loaded);
      if (current) show(current);
    });
  }
  load(catalogue);

  const ctx = (ex) => context(ex) || {};

  function phaseRow(ex) {
    const band = bandOf(protocol, ex.phase);
    if (!band) return null;
    const figure = phaseFigure(protocol, band);
    const state = (data.states || {})[band];
    return row(t("ui.explain.phase"), t(`ui.phase.${band}`),
      figure ? ` (${t("ui.explain.figure", { n: figure })})` : "",
      state && pick(state.meaning) ? el("span", { class: "explain-muted explain-block" }, pick(state.meaning)) : null);
  }

  function faultBlock(ex) {
    const fault = ex.fault;
    if (!fault) return null;
    const { rule } = ctx(ex);
    const n = fault.rule + 1;
    const described = describeRule(rule, t);
    const natural = fault.natural;
    const naturalText = natural && natural.code
      ? t("ui.explain.natural_reply", { reply: replyLine(natural.text || String(natural.code), natural.code, protocol,
        (n) => t("diagram.untagged", { n })) })
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

  function whyBlock(ex, reply) {
    if (ex.fault) return faultBlock(ex);
    const why = pick(reply.why);
    return why ? el("section", { class: "explain-why" }, el("h4", {}, t("ui.explain.why")), el("p", {}, why)) : null;
  }

  /** SMTP: the class is the first digit, the category the second. */
  function smtpFacts(codeText) {
    const digit = codeText[0];
    const klass = data.classes[digit] || {};
    const category = data.categories[codeText[1]];
    const categoryText = category
      ? [el("strong", {}, pick(category.name)), pick(category.meaning) ? ` — ${pick(category.meaning)}` : ""]
      : [pick((data.notes || {}).categories)];
    return [
      row(t("ui.explain.class", { digit }), pick(klass.name) && el("strong", {}, pick(klass.name)),
        pick(klass.meaning) ? ` — ${pick(klass.meaning)}` : ""),
      row(t("ui.explain.category", { digit: codeText[1] || "" }), ...categoryText),
    ];
  }

  /** POP3 and IMAP: no digits, a status word; its kind is the catalogue's class. */
  function statusFacts(cls) {
    const klass = data.classes[String(cls)] || {};
    return [row(t("ui.explain.kind"), pick(klass.name) && el("strong", {}, pick(klass.name)),
      pick(klass.meaning) ? ` — ${pick(klass.meaning)}` : "")];
  }

  /**
   * IMAP: the untagged responses that came before the final line, grouped by
   * name (eight FETCH lines share one meaning), each group with its meaning
   * and its first few lines, cut short.
   */
  function untaggedBlock(responses) {
    if (!responses.length) return null;
    const SHOWN = 5, WIDTH = 140;
    const groups = new Map();
    for (const r of responses) {
      const name = r.name || "?";
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(r);
    }
    const items = [...groups].map(([name, list]) => {
      const entry = (data.untagged || {})[name];
      const lines = list.slice(0, SHOWN).map((r) => {
        const rows = r.text.split("\n");
        const first = rows.length > 1 ? t("ui.explain.untagged_more", { first: rows[0], n: rows.length - 1 }) : rows[0];
        return el("li", {}, el("code", { class: "explain-untagged-line" }, first.length > WIDTH ? `${first.slice(0, WIDTH - 1)}…` : first));
      });
      if (list.length > SHOWN) lines.push(el("li", { class: "explain-muted" }, t("ui.explain.untagged_hidden", { n: list.length - SHOWN })));
      return el("li", {},
        el("strong", {}, name), list.length > 1 ? ` ×${list.length}` : "",
        entry ? [" — ", pick(entry.meaning), entry.rfc ? el("span", { class: "explain-muted" }, ` (${entry.rfc})`) : ""] : "",
        el("ul", { class: "explain-untagged-lines" }, lines));
    });
    return el("section", { class: "explain-untagged" },
      el("h4", {}, t("ui.explain.untagged_title", { n: responses.length })),
      el("p", { class: "explain-muted" }, t("ui.explain.untagged_intro")),
      el("ul", {}, items));
  }

  /** POP3: which of the lecture's modes this session is in, and what the two are. */
  function modesBlock(exchanges) {
    const modes = data.modes || {};
    if (!modes.delete && !modes.keep) return null;
    const mode = pop3Mode(exchanges || []);
    return el("section", { class: "explain-modes" },
      el("h4", {}, t("ui.explain.modes_title")),
      mode ? el("p", { class: "explain-mode-now" }, t(`ui.explain.mode_now_${mode}`)) : null,
      el("dl", { class: "explain-facts" },
        ["delete", "keep"].filter((m) => modes[m]).map((m) => row(pick(modes[m].name),
          pick(modes[m].meaning),
          modes[m].commands ? el("span", { class: "explain-muted explain-block" }, modes[m].commands.join(" · ")) : null,
          pick(modes[m].note) ? el("span", { class: "explain-muted explain-block" }, pick(modes[m].note)) : null))));
  }

  function cleartextBlock() {
    return el("p", { class: "explain-warn" }, el("strong", {}, t("ui.explain.cleartext_title")), " ",
      t(`ui.explain.cleartext_${protocol}`));
  }

  function explainReply(ex) {
    const codeText = String(ex.code ?? "");
    const entry = data.codes[codeText] || {};
    const cls = codeClass(ex.code, classes);
    const reply = data.replies[ex.key] || {};
    const { command, exchanges } = ctx(ex);
    const verb = command ? command.verb || (protocol === "imap" ? imapVerb(command.text) : "") : "greeting";
    const extra = [];
    let answers = command ? row(t("ui.explain.answers"), code(command.text)) : null;
    const wire = el("pre", { class: "explain-wire", tabindex: "0" }, protocol === "pop3" ? pop3Reply(ex.text).status : ex.text);
    if (protocol === "imap") {
      const r = imapReply(ex.text);
      extra.push(untaggedBlock(r.untagged));
      if (r.tag && command) {
        answers = row(t("ui.explain.answers"), code(command.text),
          el("span", { class: "explain-muted explain-block" }, t("ui.explain.tag_pairs", { tag: r.tag })));
      } else if (r.final && r.final.kind === "continuation") {
        extra.push(el("p", {}, t("ui.explain.continuation")));
      }
    } else if (protocol === "pop3") {
      const r = pop3Reply(ex.text);
      if (r.multiline) {
        extra.push(el("section", { class: "explain-body-lines" },
          el("h4", {}, t("ui.explain.pop3_body", { n: r.body.length })),
          el("pre", { class: "explain-wire explain-message", tabindex: "0" }, wireLines(ex).slice(1).join("\n")),
          el("p", { class: "explain-muted" }, pick((data.notes || {}).multiline))));
      } else if (ex.text.includes("\n")) {
        extra.push(el("pre", { class: "explain-wire", tabindex: "0" }, wireLines(ex).slice(1).join("\n")));
      }
      const resp = /^-ERR \[([A-Z/-]+)\]/.exec(r.status);
      const known = resp && (data.resp_codes || {})[resp[1]];
      if (known) extra.push(el("dl", { class: "explain-facts" }, row(`[${resp[1]}]`, pick(known.meaning), ` (${known.rfc})`)));
      if (POP3_MODE_VERBS.has(verb)) extra.push(modesBlock(exchanges));
    }
    // The meaning's first sentence heads the explanation; the rest follows it.
    const meaning = pick(entry.meaning);
    const cut = meaning.search(/\.\s/);
    const [headline, more] = protocol !== "smtp" && cut > 0 ? [meaning.slice(0, cut + 1), meaning.slice(cut + 2)] : [meaning, ""];
    return [
      el("h3", { class: `explain-title reply-${cls || "x"}xx` },
        el("span", { class: "explain-symbol", "aria-hidden": "true" }, CLASS_SYMBOL[cls] || "•"),
        el("span", { class: "explain-code" }, codeText),
        el("span", { class: "explain-meaning" }, headline || t("ui.explain.reply"))),
      more ? el("p", { class: "explain-lead" }, more) : null,
      wire,
      whyBlock(ex, reply),
      ...extra,
      el("dl", { class: "explain-facts" },
        ...(protocol === "smtp" ? smtpFacts(codeText) : statusFacts(cls)),
        row(t("ui.explain.next"), ...adviceFor(entry, verb)),
        answers,
        row(t("ui.explain.lecture"), pick(entry.lecture)),
        row(t("ui.explain.note"), pick(entry.note)),
        protocol === "pop3" ? row(t("ui.explain.status_note"), pick((data.notes || {}).status)) : null,
        protocol === "imap" && cls >= 4 ? row(t("ui.explain.status_note"), pick((data.notes || {}).no_transient_split)) : null,
        row(t("ui.explain.rfc"), entry.rfc || ""),
        phaseRow(ex)),
    ];
  }

  /** A line the client sent after the server's "+": the rest of an IMAP command. */
  function isContinuationData(ex, exchanges) {
    if (protocol !== "imap" || !exchanges) return false;
    const i = exchanges.findIndex((x) => x === ex || (x.seq === ex.seq && x.session === ex.session));
    const prev = i > 0 ? exchanges[i - 1] : null;
    return !!prev && prev.kind === "reply" && String(prev.code) === "+";
  }

  /** IMAP: what a command sent in parts says about its literal ({7} at the end of a line). */
  function literalNotes(ex) {
    if (protocol !== "imap") return [];
    const lines = ex.text.split("\n");
    const announced = /\{(\d+)\+?\}$/.exec(lines[0]);
    if (lines.length > 1) return [el("p", { class: "explain-lead" }, t("ui.explain.literal_data", { n: announced ? announced[1] : "?" }))];
    if (announced) {
      return [el("p", { class: "explain-lead" }, t("ui.explain.literal_announced", { mark: announced[0], n: announced[1] })),
        el("p", { class: "explain-muted" }, pick((data.notes || {}).literals))];
    }
    return [];
  }

  function explainCommand(ex) {
    const { exchanges } = ctx(ex);
    const tag = protocol === "imap" ? imapTag(ex.text) : null;
    if (!tag && isContinuationData(ex, exchanges)) {
      const done = ex.text.trim().toUpperCase() === "DONE";
      return [
        el("h3", { class: "explain-title" }, el("span", { class: "explain-code" }, done ? "DONE" : "+"),
          el("span", { class: "explain-meaning" }, t("ui.explain.literal_title"))),
        el("pre", { class: "explain-wire", tabindex: "0" }, ex.text),
        el("p", { class: "explain-lead" }, done ? t("ui.explain.idle_done") : t("ui.explain.literal_data", { n: "?" })),
        done ? null : el("p", { class: "explain-muted" }, pick((data.notes || {}).literals)),
        el("dl", { class: "explain-facts" }, phaseRow(ex)),
      ];
    }
    // The engine names the first part of a command sent with a literal "+" (it waits for the rest).
    const named = ex.verb && ex.verb !== "UNKNOWN" && ex.verb !== "+" ? ex.verb : "";
    const verb = named || (protocol === "imap" && tag ? imapVerb(ex.text) : ex.verb || "");
    const entry = data.commands[verb];
    if (!entry) {
      const tagIsVerb = protocol === "imap" && tag && data.commands[tag.toUpperCase()];
      return [
        el("h3", { class: "explain-title" }, el("span", { class: "explain-code" }, t("ui.explain.command"))),
        el("pre", { class: "explain-wire", tabindex: "0" }, ex.text),
        el("p", {}, verb === "UNKNOWN" || protocol === "imap" ? tp("ui.explain.unknown_verb", protocol) : t("ui.explain.no_entry")),
        protocol === "imap" && (!tag || tagIsVerb) ? el("p", {}, t("ui.explain.imap_no_tag")) : null,
        el("dl", { class: "explain-facts" }, phaseRow(ex)),
      ];
    }
    const states = (entry.states || []).map((s) => (has(`ui.phase.${s}`) ? t(`ui.phase.${s}`) : s));
    const feature = entry.feature && (data.features || {})[entry.feature];
    return [
      el("h3", { class: "explain-title" },
        el("span", { class: "explain-code" }, verb),
        el("span", { class: "explain-meaning" }, t("ui.explain.command")),
        entry.obsolete ? el("span", { class: "tag tag-warn" }, t("ui.explain.obsolete")) : null),
      el("pre", { class: "explain-wire", tabindex: "0" }, ex.text),
      el("p", { class: "explain-lead" }, pick(entry.meaning)),
      ...literalNotes(ex),
      CLEARTEXT[protocol] && CLEARTEXT[protocol].has(verb) ? cleartextBlock() : null,
      protocol === "pop3" && POP3_MODE_VERBS.has(verb) ? modesBlock(exchanges) : null,
      el("dl", { class: "explain-facts" },
        tag ? row(t("ui.explain.tag"), code(tag), " — ", t("ui.explain.tag_meaning", { tag })) : null,
        row(t("ui.explain.syntax"), entry.syntax ? code(entry.syntax) : ""),
        row(protocol === "smtp" ? t("ui.explain.argument") : t("ui.explain.lecture"), pick(entry.lecture)),
        feature ? row(t("ui.explain.feature"), pick(feature)) : null,
        entry.aliases && entry.aliases.length ? row(t("ui.explain.aliases"), entry.aliases.join(", ")) : null,
        states.length ? row(t("ui.explain.states"), states.join(" · ")) : null,
        entry.multiline ? row(t("ui.explain.answer"), t("ui.explain.multiline_answer")) : null,
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
      el("pre", { class: "explain-wire explain-message", tabindex: "0" }, lines.join("\n")),
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
    const timeoutNote = what === "timeout" && protocol === "pop3" ? pick((data.notes || {}).timeout) : "";
    return [
      el("h3", { class: "explain-title explain-tcp" },
        el("span", { class: "explain-code" }, "TCP"),
        el("span", { class: "explain-meaning" }, t(`ui.tcp.${what}`))),
      el("p", { class: "explain-lead" }, tp(`ui.explain.tcp_${what}`, protocol)),
      what === "close" ? el("p", {}, who) : null,
      timeoutNote ? el("p", {}, timeoutNote) : null,
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
      el("p", { class: "explain-lead" }, tp("ui.explain.silence", protocol)),
      faultBlock(ex),
      el("dl", { class: "explain-facts" }, row(t("ui.explain.rfc"), SILENCE_RFC[protocol]), phaseRow(ex)),
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
  return {
    show,
    clear: () => show(null),
    get protocol() { return protocol; },
    /** Explain another protocol's exchanges from now on (its catalogue is a promise). */
    setSource({ protocol: next, catalogue: promise }) {
      protocol = normaliseProtocol(next) || "smtp";
      load(promise);
      show(null);
    },
  };
}
