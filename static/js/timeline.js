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

export const FORMAT = "mailsim-transcript";
export const VERSION = 1;
/** The most exchanges a file may hold: a guard against a runaway import. */
export const MAX_EXCHANGES = 20000;

const FROM = new Set(["client", "server"]);
const KINDS = new Set(["tcp", "command", "data", "reply"]);
const ACTIONS = new Set(["reply", "delay", "disconnect", "silent"]);

/** An invalid transcript: `key`/`params` name the problem for translation. */
export class TranscriptError extends Error {
  constructor(key, params, message) {
    super(message);
    this.name = "TranscriptError";
    this.key = key;
    this.params = params || {};
  }
}

/** The reply class of a code: 2..5 (first digit), or null for none/other. */
export function replyClass(code) {
  if (code === null || code === undefined || code === "") return null;
  const n = typeof code === "number" ? code : Number(String(code).trim());
  if (!Number.isInteger(n) || n < 100 || n > 599) return null;
  const c = Math.floor(n / 100);
  return c >= 2 && c <= 5 ? c : null;
}

/**
 * Runs of the same phase: [{phase, from, to}] where `from` and `to` are the
 * inclusive indices of the first and last exchange of the run.
 */
export function phaseSpans(exchanges) {
  const spans = [];
  let cur = null;
  for (let i = 0; i < exchanges.length; i++) {
    const phase = exchanges[i] && exchanges[i].phase ? exchanges[i].phase : null;
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
    throw bad("diagram.import.bad_kind", i, `"kind" must be one of tcp, command, data, reply`);
  }
  if (typeof ex.text !== "string") throw bad("diagram.import.bad_text", i, `"text" must be a string`);
  if (ex.kind === "reply") {
    if (!Number.isInteger(ex.code) || ex.code < 100 || ex.code > 599) {
      throw bad("diagram.import.bad_code", i, `a reply needs a three-digit "code"`);
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

let pluralRules = null;
function pluralCategory(n, lang) {
  if (!pluralRules || pluralRules.lang !== lang) {
    try {
      pluralRules = { lang, rules: new Intl.PluralRules(lang || "en") };
    } catch {
      pluralRules = { lang, rules: new Intl.PluralRules("en") };
    }
  }
  return pluralRules.rules.select(n);
}

/** A counted string: key.one / key.few / key.many / key.other by the language's rules. */
export function trn(t, key, n, params, lang) {
  const p = { n, ...(params || {}) };
  const cat = pluralCategory(n, lang || guessLang());
  const s = tr(t, `${key}.${cat}`, p, "");
  return s !== "" ? s : tr(t, `${key}.other`, p);
}

function guessLang() {
  const doc = globalThis.document;
  return (doc && doc.documentElement && doc.documentElement.lang) || "en";
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
