/**
 * protocols.js: what the pages need to know about SMTP, POP3 and IMAP (pure, no DOM).
 *
 * The server says what each exchange is (docs/api.md); this module says how
 * to show it: the diagram bands of each protocol and their order, the colour
 * class of a reply code (from the catalogue when it has arrived, else a
 * built-in table), the console's examples, and the small parsers the page
 * needs for IMAP (tags, untagged responses, literals) and POP3 (multi-line
 * replies, delete or keep mode). Everything here runs under node:test.
 */

export const PROTOCOLS = ["smtp", "pop3", "imap"];
export const DEFAULT_PROTOCOL = "smtp";

/*
 * Per protocol: its diagram bands in order (the engine's phases; a session's
 * TCP close is "termination"), the lecture's figure of each band (SMTP only),
 * the well-known port, the console's examples and placeholder, the fault
 * editor's pseudo-stages and default codes, and the colour class of each
 * status (used until the catalogue's own `codes[code].class` has arrived).
 */
const INFO = {
  smtp: {
    phases: ["establishment", "transfer", "termination"],
    figures: { establishment: "14.6", transfer: "14.7", termination: "14.8" },
    port: 25,
    examples: ["HELO client.example.net", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "DATA", "QUIT"],
    placeholder: "HELO client.example.net",
    pseudoStages: ["connect", "greeting", "DATA_END", "UNKNOWN", "*"],
    greetingCodes: ["220", "421", "554"],
    refusal: "550",
    greetingRefusal: "421",
    defaultStage: "RCPT",
    matchPlaceholder: "*@example.net",
    numericCodes: true,
    classes: {},
  },
  pop3: {
    phases: ["authorization", "transaction", "update", "termination"],
    figures: {},
    port: 110,
    examples: ["USER bob", "PASS bob", "STAT", "LIST", "RETR 1", "DELE 1", "QUIT"],
    placeholder: "USER bob",
    pseudoStages: ["connect", "greeting", "UNKNOWN", "*"],
    greetingCodes: ["+OK", "-ERR"],
    refusal: "-ERR",
    greetingRefusal: "-ERR",
    defaultStage: "PASS",
    matchPlaceholder: "bob*",
    numericCodes: false,
    classes: { "+OK": 2, "-ERR": 5 },
  },
  imap: {
    phases: ["not_authenticated", "authenticated", "selected", "logout", "termination"],
    figures: {},
    port: 143,
    examples: ["LOGIN bob bob", "SELECT INBOX", "FETCH 1:* (FLAGS ENVELOPE)", "SEARCH SUBJECT invoice", "LOGOUT"],
    placeholder: "a1 LOGIN bob bob",
    pseudoStages: ["connect", "greeting", "UNKNOWN", "*"],
    greetingCodes: ["OK", "PREAUTH", "BYE"],
    refusal: "NO",
    greetingRefusal: "BYE",
    defaultStage: "LOGIN",
    matchPlaceholder: "bob *",
    numericCodes: false,
    tagged: true,
    classes: { OK: 2, PREAUTH: 2, "+": 3, NO: 4, BYE: 4, BAD: 5 },
  },
};

/** The protocol's name if it is one MailSim speaks ("pop3"), else null. */
export function normaliseProtocol(name) {
  const p = String(name ?? "").trim().toLowerCase();
  return PROTOCOLS.includes(p) ? p : null;
}

/** Everything above for one protocol (SMTP's for an unknown name). */
export function protocolInfo(name) {
  return INFO[normaliseProtocol(name) || DEFAULT_PROTOCOL];
}

/**
 * The diagram band of an exchange. The server marks a session's TCP
 * connect and greeting "establishment" whatever the protocol; in POP3 and
 * IMAP they open the first state's band (AUTHORIZATION, not authenticated),
 * as RFC 1939 §4 and RFC 3501 §3 draw it.
 */
export function bandOf(protocol, phase) {
  const p = normaliseProtocol(protocol) || DEFAULT_PROTOCOL;
  if (phase === "establishment" && p !== "smtp") return INFO[p].phases[0];
  return phase || null;
}

/** 1-based position of a band in its protocol's order, or null for a band it does not know. */
export function phaseNumber(protocol, phase) {
  const i = protocolInfo(protocol).phases.indexOf(phase);
  return i < 0 ? null : i + 1;
}

/** The lecture's figure of a band ("14.6"), or null. */
export function phaseFigure(protocol, phase) {
  return protocolInfo(protocol).figures[phase] || null;
}

/** The protocol a reply code belongs to, guessed from its shape: 250 smtp, "+OK" pop3, "OK" imap. */
export function protocolOfCode(code) {
  if (typeof code === "number" || /^\d{3}$/.test(String(code ?? ""))) return "smtp";
  if (code === "+OK" || code === "-ERR") return "pop3";
  if (code in INFO.imap.classes) return "imap";
  return null;
}

/** {code: class} from a catalogue (GET /api/catalogue), or {} when there is none. */
export function classesFromCatalogue(catalogue) {
  const out = {};
  for (const [code, entry] of Object.entries((catalogue && catalogue.codes) || {})) {
    if (entry && Number.isInteger(entry.class)) out[code] = entry.class;
  }
  return out;
}

/**
 * The colour class of a reply code: 2 positive, 3 intermediate, 4 amber,
 * 5 red, or null. `classes` is the catalogue's {code: class} and wins; a
 * three-digit code otherwise has its first digit; POP3 and IMAP statuses
 * fall back to the built-in table above.
 */
export function codeClass(code, classes) {
  if (code === null || code === undefined || code === "") return null;
  const key = String(code).trim();
  if (classes && Object.prototype.hasOwnProperty.call(classes, key)) return classes[key];
  const n = typeof code === "number" ? code : /^\d{3}$/.test(key) ? Number(key) : NaN;
  if (Number.isInteger(n)) {
    if (n < 100 || n > 599) return null;
    const c = Math.floor(n / 100);
    return c >= 2 && c <= 5 ? c : null;
  }
  for (const p of PROTOCOLS) if (Object.prototype.hasOwnProperty.call(INFO[p].classes, key)) return INFO[p].classes[key];
  return null;
}

/* ---------------------------------------------------------------- IMAP */

// A tag is any run of ASTRING-CHARs but "+" (RFC 3501 §9); "*" and "+" start server lines.
const TAG = /^([^\s(){%*"\\\]+]+)(?:\s|$)/;
const STATUS = /^(\S+)\s+(OK|NO|BAD|BYE|PREAUTH)\b/i;

/** The tag of a command line ("a1 LOGIN bob bob" gives "a1"), or null when it has none. */
export function imapTag(line) {
  const first = String(line ?? "").split(/\r?\n/, 1)[0];
  const m = TAG.exec(first);
  return m && /\s\S/.test(first) ? m[1] : null;
}

/** The verb of a command line, after its tag ("a1 uid fetch 1 x" gives "UID FETCH"). */
export function imapVerb(line) {
  const words = String(line ?? "").split(/\r?\n/, 1)[0].trim().split(/\s+/);
  const verb = (words[1] || "").toUpperCase();
  return verb === "UID" && words[2] ? `UID ${words[2].toUpperCase()}` : verb;
}

const LITERAL = /\{(\d+)\}$/;
const CUT = /^\.\.\. \((\d+) more octets\)/;

/**
 * Splits an IMAP reply's text (untagged lines, then the final line) into
 * its responses: [{text, first, kind, tag, status, name}], where `kind` is
 * "untagged" (* ...), "continuation" (+ ...) or "tagged" (A1 OK ...),
 * `first` the response's first line and `name` an untagged response's
 * name (EXISTS, FETCH, OK...). A line ending in {n} is followed by a
 * literal of n octets that belongs to the same response (the transcript
 * keeps its CR LF as one newline, and cuts a big literal with a marker).
 */
export function imapResponses(text) {
  const s = String(text ?? "");
  const out = [];
  let pos = 0;
  while (pos < s.length) {
    const start = pos;
    let end = pos;
    for (;;) {
      const nl = s.indexOf("\n", end);
      const lineEnd = nl < 0 ? s.length : nl;
      const line = s.slice(end, lineEnd);
      end = nl < 0 ? s.length : nl + 1;
      const lit = LITERAL.exec(line);
      if (!lit || nl < 0) break;
      // Skip the literal: n octets, a newline standing for the CR LF it held.
      let need = Number(lit[1]);
      let k = end;
      while (need > 0 && k < s.length) {
        const cut = CUT.exec(s.slice(k, k + 40));
        if (cut) { k += cut[0].length; need = 0; break; }
        need -= s[k] === "\n" ? 2 : 1;
        k += 1;
      }
      end = k;
      if (end >= s.length) break;
    }
    const whole = s.slice(start, end).replace(/\n$/, "");
    if (whole !== "" || end < s.length) out.push(describe(whole));
    pos = end;
  }
  return out;
}

function describe(text) {
  const first = text.split("\n", 1)[0];
  if (first === "+" || first.startsWith("+ ")) {
    return { text, first, kind: "continuation", tag: null, status: "+", name: null };
  }
  if (first === "*" || first.startsWith("* ")) {
    const words = first.slice(2).trim().split(/\s+/);
    const name = (/^\d+$/.test(words[0] || "") ? words[1] : words[0]) || "";
    const upper = name.replace(/[^A-Za-z-]/g, "").toUpperCase();
    const status = ["OK", "NO", "BAD", "BYE", "PREAUTH"].includes(upper) ? upper : null;
    return { text, first, kind: "untagged", tag: null, status, name: upper || null };
  }
  const m = STATUS.exec(first);
  return { text, first, kind: "tagged", tag: m ? m[1] : imapTag(first), status: m ? m[2].toUpperCase() : null, name: null };
}

/**
 * What one IMAP reply exchange holds: `final` is the response that ends it
 * (the tagged status, a "+" request, or an untagged OK/BYE/PREAUTH such as
 * the greeting), or null for a batch of untagged updates; `untagged` the
 * untagged responses before it.
 */
export function imapReply(text) {
  const all = imapResponses(text);
  const last = all[all.length - 1];
  const ends = last && (last.kind !== "untagged" || (last.status && all.length === 1) ||
    (last.status === "BYE"));
  const final = ends ? last : null;
  return { final, untagged: final ? all.slice(0, -1) : all, tag: final ? final.tag : null };
}

/**
 * The tag to suggest for the next command: after "a3", "a4"; a prefix the
 * learner chose is kept ("x7" gives "x8"); never one already used.
 */
export function nextImapTag(usedTags) {
  const used = new Set((usedTags || []).map((tag) => String(tag).toLowerCase()));
  let prefix = "a";
  let n = 0;
  for (const tag of usedTags || []) {
    const m = /^([A-Za-z]*)(\d+)$/.exec(String(tag));
    if (m) { prefix = m[1] || prefix; n = Number(m[2]); }
  }
  let candidate = `${prefix}${n + 1}`;
  while (used.has(candidate.toLowerCase())) { n += 1; candidate = `${prefix}${n + 1}`; }
  return candidate;
}

/**
 * The command a reply answers. IMAP pairs them by tag (a client may send
 * several commands before the first answer), a continuation request or an
 * untagged batch answers the last command; other protocols answer in order.
 * Returns the index in `exchanges`, or -1.
 */
export function answeredIndex(exchanges, index, protocol) {
  const ex = exchanges[index];
  if (!ex) return -1;
  if (normaliseProtocol(protocol) === "imap" && ex.kind === "reply") {
    const tag = imapReply(ex.text).tag;
    if (tag) {
      for (let i = index - 1; i >= 0; i -= 1) {
        const x = exchanges[i];
        if (x.from === "client" && x.kind === "command" && imapTag(x.text) === tag) return i;
      }
      return -1;
    }
  }
  for (let i = index - 1; i >= 0; i -= 1) {
    const x = exchanges[i];
    if (x.from === "client" && (x.kind === "command" || x.kind === "data")) return i;
  }
  return -1;
}

/**
 * The exchanges that belong together with exchange `index` in IMAP: a
 * command, its continuation requests and its tagged answer. Empty for
 * anything untagged and for other protocols.
 */
export function tagPartners(exchanges, index, protocol) {
  if (normaliseProtocol(protocol) !== "imap") return [];
  const ex = exchanges[index];
  if (!ex) return [];
  let command = -1;
  // The "+" a client line follows (untagged news may come between, as during IDLE), or -1.
  const plusBefore = (i) => {
    let j = i - 1;
    while (j >= 0 && exchanges[j].kind === "reply" && String(exchanges[j].code) !== "+" && !imapReply(exchanges[j].text).final) j -= 1;
    return j >= 0 && exchanges[j].kind === "reply" && String(exchanges[j].code) === "+" ? j : -1;
  };
  if (ex.kind === "command") {
    // An untagged line after "+" (a literal, DONE after IDLE) belongs to the command that "+" answered.
    const plus = imapTag(ex.text) ? -1 : plusBefore(index);
    command = plus >= 0 ? answeredIndex(exchanges, plus, "imap") : index;
  }
  else if (ex.kind === "reply") {
    const r = imapReply(ex.text);
    if (r.tag || (r.final && r.final.kind === "continuation")) command = answeredIndex(exchanges, index, "imap");
  }
  if (command < 0) return [];
  const tag = imapTag(exchanges[command].text);
  if (!tag) return [];
  // A command sent in parts (a literal after "+") shows its first part and the "+" too.
  let first = command;
  for (let i = command - 1; i >= 0; i -= 1) {
    const x = exchanges[i];
    if (x.kind === "reply" && String(x.code) === "+") continue;
    if (x.kind === "command" && imapTag(x.text) === tag && i === first - 2) { first = i; continue; }
    break;
  }
  const out = [];
  for (let i = first; i < command; i += 1) out.push(i);
  out.push(command);
  let last = command; // the latest part of the command so far
  for (let i = command + 1; i < exchanges.length; i += 1) {
    const x = exchanges[i];
    if (x.kind === "command") {
      // Its next part, sent after a "+" (the same tag again, with the literal).
      const own = imapTag(x.text);
      if ((own === tag || own === null) && out.includes(plusBefore(i))) {
        out.push(i);
        last = i;
      }
      continue;
    }
    if (x.kind !== "reply") continue;
    const r = imapReply(x.text);
    if (r.tag === tag) { out.push(i); break; }
    if (r.final && r.final.kind === "continuation" && answeredIndex(exchanges, i, "imap") === last) out.push(i);
  }
  return out;
}

/**
 * A reply in one line, for sentences such as "without it the server would
 * have answered ...": IMAP's final line with its untagged lines counted
 * (`more(n)` words the count), POP3's status line; SMTP's text as it is.
 */
export function replyLine(text, code, protocol, more = (n) => `(+${n})`) {
  const p = normaliseProtocol(protocol) || protocolOfCode(code) || "smtp";
  const s = String(text ?? "");
  if (p === "imap") {
    const r = imapReply(s);
    const head = r.final ? r.final.first : (r.untagged[0] ? r.untagged[0].first : s);
    const n = r.final ? r.untagged.length : 0;
    return n ? `${head} ${more(n)}` : head;
  }
  if (p === "pop3") return s.split(/\r?\n/, 1)[0];
  return s;
}

/* ---------------------------------------------------------------- POP3 */

/**
 * A POP3 reply: its status line and, for a multi-line answer (LIST, RETR,
 * TOP, UIDL, CAPA), the body lines with the terminating "." left out and
 * the byte-stuffing undone (RFC 1939 §3).
 */
export function pop3Reply(text) {
  const lines = String(text ?? "").split(/\r?\n/);
  const status = lines[0] || "";
  const multiline = lines.length > 1 && lines[lines.length - 1] === ".";
  const body = (multiline ? lines.slice(1, -1) : lines.slice(1)).map((l) => (l.startsWith("..") ? l.slice(1) : l));
  return { status, multiline, body };
}

/**
 * Which of the lecture's two modes a POP3 session is in so far: "delete"
 * once a DELE has been accepted (+OK), else "keep" (null before any RETR
 * or DELE, when there is nothing to tell yet).
 */
export function pop3Mode(exchanges) {
  let retrieved = false;
  for (let i = 0; i < exchanges.length; i += 1) {
    const x = exchanges[i];
    if (x.kind !== "command") continue;
    const verb = String(x.verb || x.text.split(/\s/, 1)[0]).toUpperCase();
    const answer = exchanges.slice(i + 1).find((y) => y.kind === "reply");
    const ok = answer && answer.code === "+OK";
    if (verb === "DELE" && ok) return "delete";
    if ((verb === "RETR" || verb === "TOP") && ok) retrieved = true;
  }
  return retrieved ? "keep" : null;
}
