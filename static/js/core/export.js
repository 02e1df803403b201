/**
 * export.js: a session's transcript in other shapes.
 *
 * toText: the classic C:/S: transcript, one line per wire line.
 * toJSON / fromJSONText: the MailSim transcript file (see timeline.js).
 * toMermaid: a Mermaid `sequenceDiagram` (for reports and wikis); message
 *   text goes through mermaidText(), which replaces everything Mermaid's
 *   grammar cannot take in a message with its entity codes (#lt; #59; ...).
 * All pure (core/: no DOM), run under node:test. The drawn diagram as an SVG
 * file is components/svgexport.js; saving a file is lib/dom.js download().
 */
import { Timeline, TranscriptError, phaseSpans, textLines, tr, trn, dataSummary } from "./timeline.js";
import { normaliseProtocol, phaseNumber, phaseFigure } from "./protocols.js";

/**
 * The C:/S: transcript; TCP events become "-- tcp ..." comment lines and a
 * silence (a fault rule kept the server quiet) the line "S: (no reply)".
 */
export function toText(timeline) {
  const out = [];
  for (const ex of timeline.exchanges) {
    if (ex.kind === "tcp") {
      out.push(`-- tcp ${ex.text}${ex.text === "connect" ? "" : ` (${ex.from})`}`);
      continue;
    }
    if (ex.kind === "silence") {
      out.push("S: (no reply)");
      continue;
    }
    const p = ex.from === "server" ? "S: " : "C: ";
    for (const line of textLines(ex.text)) out.push(p + line);
  }
  return out.join("\n") + (out.length ? "\n" : "");
}

export function toJSON(timeline) {
  return JSON.stringify(timeline.toJSON(), null, 2) + "\n";
}

/** Parses a transcript file; throws TranscriptError (with key/params for t()). */
export function fromJSONText(text) {
  let obj;
  try {
    obj = JSON.parse(String(text).replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new TranscriptError("diagram.import.not_json", { detail: e.message }, `not JSON: ${e.message}`);
  }
  return Timeline.fromJSON(obj);
}

const MERMAID_ENTITIES = { "#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "%": "#37;",
  "{": "#123;", "}": "#125;", "\\": "#92;", '"': "#quot;", "`": "#96;" };

/**
 * Message text Mermaid's sequence grammar accepts: entity codes for the
 * characters it reads as syntax (; ends a statement, # starts an entity,
 * < > would be HTML), newlines as <br/>, control characters as spaces.
 */
export function mermaidText(s) {
  const lines = String(s).split(/\r?\n/).map((line) =>
    line.replace(/[\x00-\x1f\x7f]/g, " ")
      .replace(/[#;<>&%{}\\"`]/g, (c) => MERMAID_ENTITIES[c])
      .replace(/^\s+|\s+$/g, ""));
  // A message starting with "wrap"/"nowrap" would be read as a directive.
  const joined = lines.join("<br/>").replace(/^(no)?wrap/i, (m) => `#${m.charCodeAt(0)};${m.slice(1)}`);
  return joined === "" ? "#160;" : joined;
}

/** A participant's alias: Mermaid reads no entities there, so drop what it cannot take. */
export function mermaidAlias(s) {
  return String(s).replace(/[<>:\n\r,;@#%{}]/g, " ").replace(/\s+/g, " ").trim() || "?";
}

/* The bands' colours, as diagram.css draws them. */
const BAND_RGB = {
  establishment: "rgb(224, 242, 254)", transfer: "rgb(254, 249, 195)", termination: "rgb(243, 232, 255)",
  authorization: "rgb(224, 242, 254)", transaction: "rgb(254, 249, 195)", update: "rgb(255, 237, 213)",
  not_authenticated: "rgb(224, 242, 254)", authenticated: "rgb(254, 249, 195)", selected: "rgb(220, 252, 231)",
  logout: "rgb(255, 237, 213)",
};
/* A reply longer than this is cut in the Mermaid file (a whole message after RETR or FETCH). */
const MERMAID_REPLY_LINES = 12;

/** A Mermaid sequenceDiagram of the whole timeline. */
export function toMermaid(timeline, t) {
  const proto = normaliseProtocol(timeline.meta.protocol) || "smtp";
  const P = proto.toUpperCase();
  const out = ["sequenceDiagram"];
  out.push(`    participant Client as ${mermaidAlias(tr(t, "diagram.client_head", { protocol: P }))}`);
  out.push(`    participant Server as ${mermaidAlias(tr(t, "diagram.server_head", { protocol: P }))}`);
  const exs = timeline.exchanges;
  for (const span of phaseSpans(exs, proto)) {
    const name = span.phase ? tr(t, `diagram.phase.${span.phase}`, null, span.phase) : tr(t, "diagram.phase.none");
    const n = phaseNumber(proto, span.phase) || 0;
    const fig = phaseFigure(proto, span.phase);
    const title = fig
      ? tr(t, "diagram.band_title_fig", { n, name, fig })
      : tr(t, "diagram.band_title", { n, name }).replace(/^0 · /, "");
    out.push(`    rect ${BAND_RGB[span.phase] || "rgb(241, 245, 249)"}`);
    out.push(`    Note over Client,Server: ${mermaidText(title)}`);
    for (let i = span.from; i <= span.to; i++) out.push("    " + mermaidLine(exs[i], t, exs, i));
    out.push("    end");
  }
  return out.join("\n") + "\n";
}

function mermaidLine(ex, t, exs, i) {
  const arrowOf = (from) => (from === "server" ? "Server-->>Client" : "Client->>Server");
  let msg;
  if (ex.kind === "tcp") {
    const key = { connect: "diagram.tcp.connect", reset: "diagram.tcp.reset", timeout: "diagram.tcp.timeout" }[ex.text]
      || "diagram.tcp.close";
    const side = tr(t, `diagram.side.${ex.from}`);
    return `Note over Client,Server: ${mermaidText(tr(t, key, { side }))}`;
  }
  if (ex.kind === "silence") { // no message reaches the client: a note on the server's side
    const note = ex.fault ? tr(t, "diagram.mermaid.silence", { n: ex.fault.rule + 1 }) : tr(t, "diagram.mermaid.silence_plain");
    return `Note over Server: ${mermaidText(note)}`;
  }
  if (ex.kind === "data") {
    const s = dataSummary(ex.text);
    msg = mermaidText(ex.text.split(/\r?\n/).length > 12
      ? tr(t, "diagram.mermaid.data", { lines: trn(t, "diagram.lines", s.lines), bytes: trn(t, "diagram.bytes", s.bytes) })
      : ex.text);
  } else if (ex.kind === "reply") {
    const numeric = typeof ex.code === "number";
    const text = !numeric || /^\d{3}/.test(ex.text) ? ex.text : `${ex.code} ${ex.text}`;
    const lines = text.split(/\r?\n/);
    msg = mermaidText(lines.length > MERMAID_REPLY_LINES
      ? [...lines.slice(0, MERMAID_REPLY_LINES - 1), tr(t, "diagram.mermaid.more_lines", { n: lines.length - MERMAID_REPLY_LINES + 1 })].join("\n")
      : text);
  } else {
    msg = mermaidText(ex.text);
  }
  if (ex.fault) msg += " " + mermaidText(`⚡ ${tr(t, "diagram.fault_badge", { n: ex.fault.rule + 1 }).replace(/^⚡\s*/, "")}`);
  return `${arrowOf(ex.from)}: ${msg}`;
}
