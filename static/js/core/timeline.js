/**
 * timeline.js: the pure data model behind the sequence diagram (no DOM).
 *
 * A Timeline is the ordered list of `exchange` events of one session, exactly
 * as docs/api.md describes them ({session, seq, from, kind, text, code, phase,
 * fault, t_ms, key, verb, state}), plus a little metadata (protocol, session,
 * title). The renderer draws it "as a function of time" (RaftScope's idea):
 * a position in exchange units says how much of it is drawn, so replay, step,
 * scrub and speed are all just positions.
 *
 * The JSON file format (export/import) is
 *   {format: "mailsim-transcript", version: 1, meta, exchanges}
 * and `Timeline.fromJSON` validates it field by field. Its errors are
 * TranscriptErrors: an English `message` for logs plus an i18n `key` and
 * `params` that the UI translates (sessionview.js does).
 */

import { codeClass, bandOf, protocolOfCode, imapReply, imapTag, pop3Reply, normaliseProtocol, replyLine } from "./protocols.js";

export const FORMAT = "mailsim-transcript";
export const VERSION = 1;
/** The most exchanges a file may hold: a guard against a runaway import. */
export const MAX_EXCHANGES = 20000;

const FROM = new Set(["client", "server"]);
/* "silence": a fault rule (action "silent") made the server send nothing. */
const KINDS = new Set(["tcp", "command", "data", "reply", "silence"]);
const ACTIONS = new Set(["reply", "delay", "disconnect", "silent"]);
/* A reply's code: SMTP's three digits, or a status word (+OK, -ERR, OK, NO, BAD, BYE, PREAUTH, +). */
const STATUS_CODE = /^[+-]?[A-Za-z]{0,12}$|^\+$/;

/** An invalid transcript: `key`/`params` name the problem for translation. */
export class TranscriptError extends Error {
  constructor(key, params, message) {
    super(message);
    this.name = "TranscriptError";
    this.key = key;
    this.params = params || {};
  }
}

/**
 * The colour class of a reply code: 2..5, or null for none/other. `classes`
 * is the protocol catalogue's {code: class} (it wins); without it a
 * three-digit code has its first digit and a POP3/IMAP status its usual class.
 */
export function replyClass(code, classes) {
  return codeClass(code, classes);
}

/**
 * Runs of the same band: [{phase, from, to}] where `from` and `to` are the
 * inclusive indices of the first and last exchange of the run. With a
 * `protocol`, each exchange's phase is its band there (see bandOf).
 */
export function phaseSpans(exchanges, protocol) {
  const spans = [];
  let cur = null;
  for (let i = 0; i < exchanges.length; i++) {
    const raw = exchanges[i] && exchanges[i].phase ? exchanges[i].phase : null;
    const phase = protocol ? bandOf(protocol, raw) : raw;
    if (cur && cur.phase === phase) {
      cur.to = i;
    } else {
      cur = { phase, from: i, to: i };
      spans.push(cur);
    }
  }
  return spans;
}

/** The wire lines of an exchange's text (CR LF or LF separated). */
export function textLines(text) {
  if (typeof text !== "string" || text === "") return [""];
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export class Timeline {
  constructor(meta = {}) {
    this.meta = { ...(meta || {}) };
    this.exchanges = [];
  }

  /** Appends one `exchange` event (a shallow copy of it); returns its index. */
  add(exchange) {
    if (!exchange || typeof exchange !== "object") {
      throw new TypeError("Timeline.add: an exchange must be an object");
    }
    const ex = { ...exchange };
    if (ex.seq === undefined || ex.seq === null) ex.seq = this.exchanges.length + 1;
    this.exchanges.push(ex);
    return this.exchanges.length - 1;
  }

  get length() {
    return this.exchanges.length;
  }

  at(i) {
    if (i < 0) i += this.exchanges.length;
    return this.exchanges[i];
  }

  /** The index of the exchange with this seq, or -1. */
  indexOfSeq(seq) {
    // Exchanges normally hold seq = index + 1; try that first.
    const guess = this.exchanges[seq - 1];
    if (guess && guess.seq === seq) return seq - 1;
    return this.exchanges.findIndex((e) => e.seq === seq);
  }

  toJSON() {
    return {
      format: FORMAT,
      version: VERSION,
      meta: { ...this.meta },
      exchanges: this.exchanges.map((e) => ({ ...e })),
    };
  }

  /** Builds a Timeline from a parsed transcript file; throws TranscriptError. */
  static fromJSON(obj) {
    if (!obj || typeof obj !== "object" || Array.isArray(obj) || obj.format !== FORMAT) {
      throw new TranscriptError("diagram.import.not_transcript", {},
        `not a MailSim transcript: expected "format": "${FORMAT}"`);
    }
    if (obj.version !== VERSION) {
      throw new TranscriptError("diagram.import.bad_version", { version: String(obj.version) },
        `unsupported transcript version ${obj.version} (this MailSim reads version ${VERSION})`);
    }
    const meta = obj.meta === undefined || obj.meta === null ? {} : obj.meta;
    if (typeof meta !== "object" || Array.isArray(meta)) {
      throw new TranscriptError("diagram.import.bad_meta", {}, `"meta" must be an object`);
    }
    if (!Array.isArray(obj.exchanges)) {
      throw new TranscriptError("diagram.import.no_exchanges", {}, `the transcript has no "exchanges" list`);
    }
    if (obj.exchanges.length > MAX_EXCHANGES) {
      throw new TranscriptError("diagram.import.too_many", { max: MAX_EXCHANGES },
        `too many exchanges: at most ${MAX_EXCHANGES}`);
    }
    const tl = new Timeline(meta);
    obj.exchanges.forEach((ex, i) => tl.add(validateExchange(ex, i)));
    return tl;
  }
}

function bad(key, i, message, extra) {
  return new TranscriptError(key, { n: i + 1, ...(extra || {}) }, `exchange ${i + 1}: ${message}`);
}

/** Checks one exchange of a file; returns a clean copy. */
export function validateExchange(ex, i) {
  if (!ex || typeof ex !== "object" || Array.isArray(ex)) {
    throw bad("diagram.import.bad_exchange", i, "must be an object");
  }
  if (!FROM.has(ex.from)) throw bad("diagram.import.bad_from", i, `"from" must be "client" or "server"`);
  if (!KINDS.has(ex.kind)) {
    throw bad("diagram.import.bad_kind", i, `"kind" must be one of tcp, command, data, reply, silence`);
  }
  if (ex.kind === "silence" && ex.from !== "server") {
    throw bad("diagram.import.bad_silence", i, `a "silence" comes from the server`);
  }
  if (typeof ex.text !== "string") throw bad("diagram.import.bad_text", i, `"text" must be a string`);
  if (ex.kind === "reply") {
    const numeric = Number.isInteger(ex.code) && ex.code >= 100 && ex.code <= 599;
    const status = typeof ex.code === "string" && ex.code !== "" && STATUS_CODE.test(ex.code);
    if (!numeric && !status) {
      throw bad("diagram.import.bad_code", i, `a reply needs a "code": three digits, or a status such as +OK or NO`);
    }
  } else if (ex.code !== null && ex.code !== undefined) {
    throw bad("diagram.import.bad_code", i, `only a reply has a "code"`);
  }
  if (ex.phase !== undefined && ex.phase !== null && (typeof ex.phase !== "string" || !ex.phase)) {
    throw bad("diagram.import.bad_phase", i, `"phase" must be a name such as "transfer"`);
  }
  if (ex.seq !== undefined && ex.seq !== null && (!Number.isInteger(ex.seq) || ex.seq < 1)) {
    throw bad("diagram.import.bad_seq", i, `"seq" must be a whole number from 1`);
  }
  if (ex.t_ms !== undefined && ex.t_ms !== null && (typeof ex.t_ms !== "number" || !(ex.t_ms >= 0))) {
    throw bad("diagram.import.bad_time", i, `"t_ms" must be a number of milliseconds`);
  }
  const f = ex.fault;
  if (f !== undefined && f !== null) {
    const okNatural = f.natural === undefined || f.natural === null ||
      (typeof f.natural === "object" && !Array.isArray(f.natural));
    if (typeof f !== "object" || Array.isArray(f) || !Number.isInteger(f.rule) || f.rule < 0 ||
        !ACTIONS.has(f.action) || !okNatural) {
      throw bad("diagram.import.bad_fault", i,
        `"fault" must be null or {rule, natural, action} with action reply, delay, disconnect or silent`);
    }
  }
  for (const k of ["key", "verb", "state", "session"]) {
    if (ex[k] !== undefined && ex[k] !== null && typeof ex[k] !== "string" && typeof ex[k] !== "number") {
      throw bad("diagram.import.bad_field", i, `"${k}" must be a string`, { field: k });
    }
  }
  return {
    session: ex.session ?? null,
    seq: ex.seq ?? i + 1,
    from: ex.from,
    kind: ex.kind,
    text: ex.text,
    code: ex.kind === "reply" ? ex.code : null,
    phase: ex.phase ?? null,
    fault: f ? { ...f } : null,
    t_ms: ex.t_ms ?? null,
    key: ex.key ?? null,
    verb: ex.verb ?? null,
    state: ex.state ?? null,
  };
}

/* ---- Text helpers shared by the renderer and the exporters (pure) ---- */

/** Fills {name} placeholders the translator left in place. */
function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/**
 * Translates with the page's t(key, params); falls back to `fallback`, else to
 * the key itself, when t is missing or returns the key unchanged.
 */
export function tr(t, key, params, fallback) {
  let s = typeof t === "function" ? t(key, params) : undefined;
  if (typeof s !== "string" || s === key || s === "") s = fallback !== undefined ? fallback : key;
  return fill(s, params);
}

/**
 * A counted string: the plural form of `key` for `n`. The page's t
 * (lib/i18n.js) picks the form by the language's CLDR rules and writes `n`
 * the language's way; a trailing `lang` argument is accepted and not needed.
 */
export function trn(t, key, n, params) {
  return tr(t, key, { ...(params || {}), n });
}

/** Lines, wire bytes and Subject of a message content (`data` exchange text). */
export function dataSummary(text) {
  const all = textLines(text);
  const lines = all.length && all[all.length - 1] === "." ? all.slice(0, -1) : all;
  let bytes = 0;
  for (const l of all) bytes += new TextEncoder().encode(l).length + 2;
  let subject = null;
  for (const l of lines) {
    if (l === "") break; // end of the header section
    const m = /^subject:\s*(.*)$/i.exec(l);
    if (m) { subject = m[1]; break; }
  }
  return { lines: lines.length, bytes, subject };
}

/* ---- What an exchange says: labels and sentences (pure; diagram and tests) ---- */

export const SYMBOL = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };
export const TCP_STEPS = {
  connect: ["SYN", "SYN-ACK", "ACK"],
  close: ["FIN", "ACK", "FIN", "ACK"],
  timeout: ["FIN", "ACK", "FIN", "ACK"],
  reset: ["RST"],
};

const clean = (s) => String(s).replace(/\t/g, " ").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "·");
export function clip(s, max) {
  s = clean(s);
  return s.length > max ? s.slice(0, Math.max(1, max - 1)) + "…" : s;
}
/** Seconds for display, in the language's number format. */
export function seconds(ms, lang) {
  const s = ms / 1000;
  try {
    return new Intl.NumberFormat(lang || "en", { maximumFractionDigits: s < 10 ? 2 : 1, minimumFractionDigits: s < 10 ? 2 : 1 }).format(s);
  } catch {
    return s.toFixed(2);
  }
}
/** The delay a fault added to an exchange, in ms (from the fault or from t_ms), or null. */
export function delayOf(exchanges, i) {
  const ex = exchanges[i];
  if (!ex || !ex.fault || ex.fault.action !== "delay") return null;
  if (typeof ex.fault.delay_ms === "number") return ex.fault.delay_ms;
  const prev = exchanges[i - 1];
  if (prev && typeof prev.t_ms === "number" && typeof ex.t_ms === "number") return Math.max(0, ex.t_ms - prev.t_ms);
  return null;
}
const stripCode = (line) => line.replace(/^\d{3}[ -]?/, "");

/**
 * The one-line label of an exchange and its full text (for the title).
 * `opts`: `protocol` (the session's; else guessed from a reply's code) and
 * `classes` (the catalogue's {code: class}). The answer's `tag` is the IMAP
 * tag the label starts with (after the class symbol), for pairing.
 */
export function labelOf(ex, t, lang, maxChars = 54, opts = {}) {
  if (ex.kind === "tcp") return { text: tcpCaption(ex, t), full: tcpCaption(ex, t), cls: null };
  if (ex.kind === "silence") {
    // A description, not wire text (drawn in the proportional font, like a data summary).
    const long = tr(t, "diagram.silence.label");
    const text = long.length <= Math.floor(maxChars * 1.1) ? long : clip(tr(t, "diagram.silence.label_short"), Math.floor(maxChars * 1.1));
    return { text, full: tr(t, "diagram.silence.full"), cls: null };
  }
  if (ex.kind === "data") {
    const s = dataSummary(ex.text);
    const params = { lines: trn(t, "diagram.lines", s.lines, null, lang), bytes: trn(t, "diagram.bytes", s.bytes, null, lang) };
    const label = s.subject !== null
      ? tr(t, "diagram.data_label_subject", { ...params, subject: clip(s.subject, 28) })
      : tr(t, "diagram.data_label", params);
    return { text: clip(label, Math.floor(maxChars * 1.1)), full: ex.text, cls: null };
  }
  const protocol = normaliseProtocol(opts.protocol) || (ex.kind === "reply" ? protocolOfCode(ex.code) : null) || "smtp";
  const lines = textLines(ex.text);
  let first = lines[0];
  if (ex.kind === "reply") {
    const cls = replyClass(ex.code, opts.classes);
    const sym = SYMBOL[cls] ? SYMBOL[cls] + " " : "";
    if (protocol === "imap") {
      // The final line (tagged status, "+" request, greeting) labels the arrow; the untagged lines are counted.
      const r = imapReply(ex.text);
      const head = r.final ? r.final.first : (r.untagged[0] ? r.untagged[0].first : first);
      const n = r.final ? r.untagged.length : Math.max(0, r.untagged.length - 1);
      const more = n ? " " + trn(t, r.final ? "diagram.untagged" : "diagram.more_untagged", n, null, lang) : "";
      return { text: sym + clip(head || tr(t, "diagram.empty_line"), maxChars - more.length) + more, full: ex.text, cls,
        tag: r.tag, untagged: r.untagged.length };
    }
    const hasCode = typeof ex.code === "string" ? first.startsWith(ex.code) : /^\d{3}/.test(first);
    if (!hasCode && ex.code !== null && ex.code !== undefined && ex.code !== "") first = `${ex.code} ${first}`;
    // A POP3 multi-line answer: its lines without the final "." (which is not part of the answer).
    const extra = protocol === "pop3" ? pop3Reply(ex.text).body.length : lines.length - 1;
    const more = extra > 0 ? " " + trn(t, "diagram.more_lines", extra, null, lang) : "";
    return { text: sym + clip(first, maxChars - more.length) + more, full: ex.text, cls };
  }
  if (protocol === "imap" && ex.kind === "command" && lines.length > 1) {
    // The rest of a command sent after the server's "+": the exchange holds the whole
    // command, the arrow what went on the wire now (the literal), its lines counted.
    const rest = lines.slice(1);
    const more = rest.length > 1 ? " " + trn(t, "diagram.more_lines", rest.length - 1, null, lang) : "";
    return { text: clip(rest[0] || tr(t, "diagram.empty_line"), maxChars - more.length) + more, full: ex.text, cls: null, tag: null };
  }
  if (first === "") first = tr(t, "diagram.empty_line");
  const tag = protocol === "imap" && ex.kind === "command" ? imapTag(first) : null;
  return { text: clip(first, maxChars), full: ex.text, cls: null, tag };
}

export function tcpCaption(ex, t) {
  const what = TCP_STEPS[ex.text] ? ex.text : "close";
  if (what === "connect") return tr(t, "diagram.tcp.connect");
  if (what === "reset") return tr(t, "diagram.tcp.reset", { side: tr(t, `diagram.side.${ex.from}`) });
  if (what === "timeout") return tr(t, "diagram.tcp.timeout");
  return tr(t, "diagram.tcp.close", { side: tr(t, `diagram.side.${ex.from}`) });
}

/** The name of a reply class in the protocol's terms ("positive completion", "done", "negative"). */
export function className(t, cls, protocol) {
  const p = normaliseProtocol(protocol) || "smtp";
  const own = p !== "smtp" ? tr(t, `diagram.class.${p}.${cls}`, null, "") : "";
  return own || tr(t, `diagram.class.${cls}`);
}

/** A sentence for screen readers: "Client sends: HELO x" / "Server replies 250: OK". `opts` as for labelOf. */
export function narrate(ex, t, lang, exchanges, i, opts = {}) {
  let s;
  if (ex.kind === "tcp") s = tcpCaption(ex, t);
  else if (ex.kind === "data") s = tr(t, "diagram.say.data", { summary: labelOf(ex, t, lang, 1e6).text.replace(/^✉\s*/, "") });
  else if (ex.kind === "reply") {
    const protocol = normaliseProtocol(opts.protocol) || protocolOfCode(ex.code) || "smtp";
    const cls = replyClass(ex.code, opts.classes);
    // A long POP3 or IMAP answer (a whole message) is read as its status line and a count.
    const body = protocol === "smtp"
      ? textLines(ex.text).map(stripCode).join(" · ")
      : labelOf(ex, t, lang, 1e6, { ...opts, protocol }).text.replace(/^[✔➜⟳✖]\s*/, "");
    s = tr(t, "diagram.say.reply", { code: ex.code, klass: className(t, cls, protocol), text: body });
  } else if (ex.kind === "silence") {
    // The sentence names the rule already; only what the server would have said is added.
    s = ex.fault ? tr(t, "diagram.say.silence", { n: ex.fault.rule + 1 }) : tr(t, "diagram.say.silence_plain");
    const nat = naturalSentence(ex, t);
    return nat ? `${s} ${nat}` : s;
  } else s = tr(t, "diagram.say.command", { text: ex.text || tr(t, "diagram.empty_line") });
  if (ex.fault) s += " " + faultSentence(ex, t, lang, exchanges, i);
  return s;
}

/** "Without it the server would have answered: ..." for a fault that changed a reply, else "". */
function naturalSentence(ex, t) {
  const f = ex.fault;
  if (!f || !f.natural || !f.natural.code || f.action === "delay") return "";
  const text = f.natural.text || String(f.natural.code);
  const proto = protocolOfCode(f.natural.code);
  return tr(t, "diagram.fault.natural", { text: proto && proto !== "smtp" ? replyLine(text, f.natural.code, proto,
    (n) => trn(t, "diagram.untagged", n)) : textLines(text)[0] });
}

export function faultSentence(ex, t, lang, exchanges, i) {
  const f = ex.fault;
  const d = exchanges ? delayOf(exchanges, i) : null;
  const s = tr(t, `diagram.fault.${f.action}`, { n: f.rule + 1, s: d === null ? "?" : seconds(d, lang) });
  const nat = naturalSentence(ex, t);
  return nat ? `${s} ${nat}` : s;
}

