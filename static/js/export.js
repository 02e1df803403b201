/**
 * export.js: a session's transcript in other shapes.
 *
 * toText: the classic C:/S: transcript, one line per wire line.
 * toJSON / fromJSONText: the MailSim transcript file (see timeline.js).
 * toMermaid: a Mermaid `sequenceDiagram` (for reports and wikis); message
 *   text goes through mermaidText(), which replaces everything Mermaid's
 *   grammar cannot take in a message with its entity codes (#lt; #59; ...).
 * toSVG: the drawn diagram as a standalone SVG string, styles inlined.
 * download: saves a string as a file (the only part that needs a page).
 * Everything but toSVG and download is pure and runs under node:test.
 */
import { Timeline, TranscriptError, phaseSpans, textLines, tr, dataSummary } from "./timeline.js";
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
      ? tr(t, "diagram.mermaid.data", { lines: s.lines, bytes: s.bytes })
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

/* ---------- SVG: clone the drawn diagram with its computed styles ---------- */

const STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity",
  "stroke-linecap", "stroke-linejoin", "opacity", "font-family", "font-size", "font-weight", "font-style",
  "paint-order"];

function inline(src, dst) {
  if (src.nodeType !== 1) return;
  const cs = getComputedStyle(src);
  if (cs.display === "none" || src.getAttribute("display") === "none") { dst.remove(); return; }
  const decl = [];
  for (const p of STYLE_PROPS) {
    const v = cs.getPropertyValue(p);
    if (v && v !== "normal" && !(p === "opacity" && v === "1")) decl.push(`${p}:${v}`);
  }
  dst.removeAttribute("class");
  dst.removeAttribute("tabindex");
  dst.removeAttribute("role");
  dst.removeAttribute("aria-current");
  dst.removeAttribute("aria-label");
  if (decl.length && dst.localName !== "title" && dst.localName !== "svg") dst.setAttribute("style", decl.join(";"));
  const s = src.children, d = Array.from(dst.children);
  for (let k = 0; k < s.length; k++) inline(s[k], d[k]);
}

/**
 * The whole session (every exchange drawn in full) as a standalone SVG file:
 * lifeline heads on top, styles inlined so it renders outside the page.
 */
export function toSVG(diagram, { title } = {}) {
  return diagram.drawAll(() => svgOf(diagram, title));
}

function svgOf(diagram, title) {
  const tl = diagram.timeline;
  const NS = "http://www.w3.org/2000/svg";
  const { W, HEAD_H } = diagramSize(diagram);
  const bodyH = diagram.contentHeight;
  const out = document.createElementNS(NS, "svg");
  out.setAttribute("xmlns", NS);
  out.setAttribute("width", W);
  out.setAttribute("height", HEAD_H + bodyH);
  out.setAttribute("viewBox", `0 0 ${W} ${HEAD_H + bodyH}`);
  const tt = document.createElementNS(NS, "title");
  tt.textContent = title || (tl && tl.meta.title) || "MailSim";
  out.appendChild(tt);
  const bg = document.createElementNS(NS, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", "#ffffff");
  out.appendChild(bg);
  const parts = [[diagram.headElement, 0], [diagram.svgElement, HEAD_H]];
  for (const [src, dy] of parts) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("transform", `translate(0,${dy})`);
    const clone = src.cloneNode(true);
    inline(src, clone);
    const zoomed = clone.querySelector("g[transform^='scale']");
    if (zoomed) zoomed.removeAttribute("transform"); // the body's zoom: the file is drawn at 1:1
    while (clone.firstChild) g.appendChild(clone.firstChild);
    out.appendChild(g);
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(out) + "\n";
}

function diagramSize(diagram) {
  const vb = diagram.headElement.getAttribute("viewBox").split(/\s+/).map(Number);
  return { W: vb[2], HEAD_H: vb[3] };
}

/** Saves `text` as a file named `filename` (a Blob and a temporary link). */
export function download(filename, mime, text) {
  const blob = new Blob([text], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
