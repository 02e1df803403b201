/**
 * diagram.js: draws a Timeline as an SVG sequence diagram, as a function of time.
 *
 * render(timeline, position) shows exchanges [0, floor(position)) complete and
 * the exchange at floor(position) `frac` of the way from its sender's lifeline
 * to its receiver's (RaftScope's trick: replay, scrub and speed then cost
 * nothing). Each exchange gets its own row, so labels never overlap and the
 * diagram grows downward inside a scrolling container.
 *
 * Cheapness is the design constraint (200 exchanges at 8x with no long task):
 * a row's SVG group is built once, the first time it becomes visible; a frame
 * only moves the one exchange in flight and shows or hides the rows whose
 * visibility changed. Layout is arithmetic (fixed row heights, monospace
 * labels truncated by character count), never measured from the DOM.
 *
 * All text goes in with textContent; every visible string comes from t().
 */
import { tr, labelOf, narrate, faultSentence, delayOf, seconds, clip, TCP_STEPS } from "./timeline.js";
import { PROTOCOLS, protocolInfo, bandOf, phaseNumber, phaseFigure, tagPartners } from "./protocols.js";

export { labelOf, narrate, clip, delayOf };

const NS = "http://www.w3.org/2000/svg";
/* Geometry, in SVG units (one unit is one CSS pixel at zoom 1). The width
   and the lifelines' places follow the container (see geometry()). */
export const HEAD_H = 78;
const ROW = 60, LABEL_Y = 23, ARROW_Y1 = 32, ARROW_Y2 = 52;
const PHASE_H = 40, BAND_PAD = 10, BAND_GAP = 10, TOP_PAD = 10;
const TCP_ROW = 46, TCP_SUB = 30, TCP_CAPTION = 24;
const GROW = 8 * ROW; // the body grows by this much at a time
const MONO = 9.7, SANS = 8.8; // average advance of a 16px label character
/* Every band some protocol draws (each has its colours in diagram.css). */
const BANDS = new Set(PROTOCOLS.flatMap((p) => protocolInfo(p).phases));
/*
 * The hourglass of a silence (the client waits), drawn as paths centred on
 * 0,0: the ⌛ character is missing from many fonts (no emoji font on a
 * classroom Linux box), a path is not. The legend uses the same shape.
 */
export const HOURGLASS = {
  frame: "M-6,-9H6M-6,9H6",
  glass: "M-4.5,-9L4.5,-9L0.9,0L4.5,9L-4.5,9L-0.9,0Z",
  sand: "M-3.3,8L3.3,8L0,3.6ZM-2.4,-6.2L2.4,-6.2L0.5,-2.6L-0.5,-2.6Z",
};
/** Draws the hourglass into `parent` (an SVG element) at x, y. */
export function hourglass(parent, x, y, cls = "") {
  const g = el("g", { class: `dg-hourglass ${cls}`.trim(), transform: `translate(${x},${y})` }, parent);
  el("path", { class: "dg-hg-glass", d: HOURGLASS.glass }, g);
  el("path", { class: "dg-hg-sand", d: HOURGLASS.sand }, g);
  el("path", { class: "dg-hg-frame", d: HOURGLASS.frame }, g);
  return g;
}
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function text(parent, attrs, content) {
  const e = el("text", attrs, parent);
  e.textContent = content;
  return e;
}
/**
 * Creates the diagram inside `container` (which becomes the scrolling box).
 * Options: t(key, params), onSelect(exchange, index), onTcpDetail(on), lang,
 * classes (the protocol catalogue's {code: class}; see setClasses).
 * The protocol is the timeline's (meta.protocol, SMTP by default): it names
 * the lifelines, the bands and how replies read (IMAP tags, POP3 bodies).
 */
export function createDiagram(container, { t, onSelect, onTcpDetail, lang, classes = null } = {}) {
  lang = lang || document.documentElement.lang || "en";
  container.classList.add("dg-scroll");
  // Geometry: W wide; lifelines at XC and XS; labels centred on XM; compact
  // below 820 units (short badges). maxChars: the label characters that fit.
  let W = 0, XC = 210, XS = 790, XM = 500, compact = false, maxChars = 54;
  const head = el("svg", { class: "dg-svg dg-head", "aria-hidden": "true" });
  const svg = el("svg", { class: "dg-svg dg-body", role: "group", "aria-label": tr(t, "diagram.aria.body") });
  container.append(head, svg);
  const id = uid++;
  const defs = el("defs", null, svg);
  for (const k of ["cmd", "c2", "c3", "c4", "c5", "cx", "tcp"]) {
    const m = el("marker", { id: `dg-ah-${k}-${id}`, viewBox: "0 0 12 12", refX: "11", refY: "6", markerWidth: "13",
      markerHeight: "13", markerUnits: "userSpaceOnUse", orient: "auto" }, defs);
    el("path", { d: "M0,0 L12,6 L0,12 z", class: `dg-mk dg-mk-${k}` }, m);
  }
  // No viewBox on the body: growing the SVG then changes only its size, not
  // the transform of every row (a viewBox change re-lays out and repaints all).
  const root = el("g", { class: "dg-root" }, svg);
  const bandLayer = el("g", { class: "dg-bands" }, root);
  const lifeC = el("line", { class: "dg-lifeline", x1: XC, x2: XC, y1: 0, y2: 100 }, root);
  const lifeS = el("line", { class: "dg-lifeline", x1: XS, x2: XS, y1: 0, y2: 100 }, root);
  const rowLayer = el("g", { class: "dg-rows" }, root);
  const empty = text(root, { class: "dg-empty", x: XM, y: 60, "text-anchor": "middle" }, tr(t, "diagram.empty"));

  let tl = null, laid = 0, rows = [], bands = [], cursor = TOP_PAD, paired = new Set();
  let visible = 0, inflight = -1, pos = 0, selected = -1, tabStop = -1;
  let shownA = 0, shownB = 0, viewFirst = -1, scrollY = 0, follow = true;
  let tcpDetail = false, zoom = "fit", scale = 1, shownScale = 0, shownW = 0, boxH = 400, boxW = 1000, height = 0;
  const reduced = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  const onMotion = () => { if (tl) for (let i = 0; i < visible; i++) progress(i, i === inflight ? frac() : 1, true); };
  if (reduced.addEventListener) reduced.addEventListener("change", onMotion);

  /* ---------- layout: pure arithmetic over the exchanges ---------- */
  function rowHeight(ex) {
    if (ex.kind !== "tcp") return ROW;
    if (!tcpDetail) return TCP_ROW;
    return TCP_CAPTION + (TCP_STEPS[ex.text] || TCP_STEPS.close).length * TCP_SUB + 8;
  }
  const protocol = () => String((tl && tl.meta && tl.meta.protocol) || "smtp").toLowerCase();
  const labelOpts = () => ({ protocol: protocol(), classes });
  function layout(from) {
    const exs = tl.exchanges;
    const proto = protocol();
    if (from === 0) { cursor = TOP_PAD; bands.length = 0; }
    for (let i = from; i < exs.length; i++) {
      const ex = exs[i];
      const phase = bandOf(proto, ex.phase);
      const last = bands[bands.length - 1];
      if (!last || last.phase !== phase) {
        if (last) cursor += BAND_PAD + BAND_GAP;
        bands.push({ phase, from: i, to: i, top: cursor, bottom: 0, els: null, shownH: -1 });
        cursor += PHASE_H;
      }
      const b = bands[bands.length - 1];
      b.to = i;
      rows[i] = rows[i] || { els: null, p: -1 };
      rows[i].top = cursor;
      rows[i].h = rowHeight(ex);
      rows[i].band = bands.length - 1;
      cursor += rows[i].h;
      b.bottom = cursor + BAND_PAD;
    }
    laid = exs.length;
  }
  function reset() {
    rowLayer.replaceChildren();
    bandLayer.replaceChildren();
    rows = []; bands = []; laid = 0; visible = 0; inflight = -1; selected = -1; tabStop = -1; height = 0;
    paired = new Set();
    shownA = shownB = 0;
    drawHeads();
  }

  /* ---------- building (once per row, when it first shows) ---------- */
  function drawHeads() {
    head.replaceChildren();
    el("rect", { class: "dg-head-bg", x: 0, y: 0, width: W, height: HEAD_H }, head);
    const proto = String((tl && tl.meta && tl.meta.protocol) || "smtp").toUpperCase();
    const meta = (tl && tl.meta) || {};
    if (!compact) text(head, { class: "dg-time-hint", x: 18, y: HEAD_H - 10 }, tr(t, "diagram.time_hint"));
    const hw = compact ? 75 : 100;
    const subs = { client: meta.client || meta.peer, server: meta.server || (meta.port ? `:${meta.port}` : "") };
    for (const [x, side, sub] of [[XC, "client", subs.client], [XS, "server", subs.server]]) {
      el("rect", { class: "dg-actor", x: x - hw, y: 10, width: 2 * hw, height: sub ? 54 : 44, rx: 10 }, head);
      text(head, { class: "dg-actor-name", x, y: sub ? 33 : 38, "text-anchor": "middle" },
        tr(t, `diagram.${side}_head`, { protocol: proto }));
      if (sub) text(head, { class: "dg-actor-sub", x, y: 53, "text-anchor": "middle" }, clip(sub, compact ? 20 : 26));
      el("line", { class: "dg-lifeline", x1: x, x2: x, y1: sub ? 64 : 54, y2: HEAD_H }, head);
    }
  }

  function buildBand(b, idx) {
    const g = el("g", { class: `dg-band dg-phase-${BANDS.has(b.phase) ? b.phase : "other"}` }, bandLayer);
    const rect = el("rect", { class: "dg-band-rect", x: 8, y: b.top, width: W - 16, height: PHASE_H, rx: 10 }, g);
    const proto = protocol();
    const name = b.phase ? tr(t, `diagram.phase.${b.phase}`, null, b.phase) : tr(t, "diagram.phase.none");
    const n = phaseNumber(proto, b.phase) || idx + 1;
    const fig = phaseFigure(proto, b.phase);
    const title = fig
      ? tr(t, "diagram.band_title_fig", { n, name, fig })
      : tr(t, "diagram.band_title", { n, name });
    text(g, { class: "dg-band-title", x: 24, y: b.top + 27 }, title);
    b.els = { g, rect };
  }

  function buildRow(i) {
    const ex = tl.exchanges[i];
    const r = rows[i];
    const lab = labelOf(ex, t, lang, maxChars, labelOpts());
    const cls = ex.kind === "reply" ? (lab.cls ? `c${lab.cls}` : "cx") : ex.kind === "tcp" || ex.kind === "silence" ? ex.kind : "cmd";
    const g = el("g", { class: `dg-ex dg-k-${ex.kind} dg-${cls}${ex.fault ? " dg-faulted" : ""}${paired.has(i) ? " dg-paired" : ""}`,
      "data-index": i, "data-seq": ex.seq, role: "button", tabindex: "-1",
      "aria-label": narrate(ex, t, lang, tl.exchanges, i, labelOpts()) });
    if (lab.tag) g.setAttribute("data-tag", lab.tag);
    const title = el("title", null, g);
    title.textContent = ex.kind === "data" && ex.text.length > 4000 ? ex.text.slice(0, 4000) + "…" : lab.full;
    if (ex.fault) title.textContent += "\n" + faultSentence(ex, t, lang, tl.exchanges, i);
    const hit = el("rect", { class: "dg-hit", x: 4, y: 1, width: W - 8, height: r.h - 2, rx: 6 }, g);
    const els = { g, hit, kind: ex.kind, cls, from: ex.from, label: null, line: null, fat: null, bar: null, subs: null, steps: null };
    const seqY = ex.kind === "tcp" && !tcpDetail ? 27 : LABEL_Y;
    const gx = compact ? 10 : 18;
    els.seq = text(g, { class: "dg-gutter", x: gx, y: seqY }, `#${ex.seq}`);
    const prev = tl.exchanges[i - 1];
    const when = typeof ex.t_ms === "number" ? seconds(ex.t_ms, lang) : null;
    if (when !== null && !(prev && typeof prev.t_ms === "number" && seconds(prev.t_ms, lang) === when)) {
      // A time only where the clock moved: a scenario played at once shows one.
      els.time = text(g, { class: "dg-gutter dg-time", x: gx, y: seqY + 17 }, tr(t, "diagram.seconds", { s: when }));
    }
    const sx = ex.from === "server" ? XS : XC, rx = ex.from === "server" ? XC : XS;
    els.sx = sx; els.rx = rx;
    if (ex.kind === "tcp") buildTcp(els, ex, lab);
    else if (ex.kind === "silence") buildSilence(els, lab);
    else {
      if (ex.kind === "data") els.fat = el("line", { class: "dg-fat", x1: sx, y1: ARROW_Y1, x2: rx, y2: ARROW_Y2 }, g);
      els.line = el("line", { class: "dg-arrow", x1: sx, y1: ARROW_Y1, x2: rx, y2: ARROW_Y2,
        "marker-end": `url(#dg-ah-${cls}-${id})` }, g);
      els.label = text(g, { class: `dg-label${ex.kind === "data" ? " dg-data-label" : ""}`, x: XM, y: LABEL_Y,
        "text-anchor": "middle" }, lab.text);
      if (lab.tag) tagLabel(els.label, lab.text, lab.tag);
      // In flight the label comes out of the sender's lifeline and slides to the middle.
      const half = (lab.text.length * (ex.kind === "data" ? SANS : MONO)) / 2 + 6;
      els.start = rx > sx ? Math.min(XM, sx + half) : Math.max(XM, sx - half);
    }
    let by = 6;
    if (ex.fault) {
      badge(g, "dg-badge-fault", by, tr(t, compact ? "diagram.fault_badge_short" : "diagram.fault_badge", { n: ex.fault.rule + 1 }));
      by += 25;
    }
    const d = delayOf(tl.exchanges, i);
    if (d !== null) {
      badge(g, "dg-badge-delay", by, tr(t, compact ? "diagram.delay_badge_short" : "diagram.delay_badge", { s: seconds(d, lang) }));
    }
    r.els = els;
    if (i === selected) { g.classList.add("dg-selected"); g.setAttribute("aria-current", "true"); }
    g.setAttribute("transform", `translate(0,${r.top})`);
    rowLayer.appendChild(g);
  }

  /*
   * An IMAP tag pairs a command with its answer: it is drawn as its own
   * span (bold, underlined) at the start of both labels, so the eye finds
   * "a2" on the way out and on the way back. Only the span changes: the
   * label's text, length and position stay those of the plain label.
   */
  function tagLabel(label, content, tag) {
    const at = content.indexOf(tag);
    if (at < 0 || at > 2) return;
    label.textContent = "";
    if (at) label.appendChild(document.createTextNode(content.slice(0, at)));
    const span = el("tspan", { class: "dg-tag" }, label);
    span.textContent = tag;
    label.appendChild(document.createTextNode(content.slice(at + tag.length)));
  }

  /* The rows that belong with the selected one (an IMAP command, its "+" requests and its tagged answer). */
  function markPaired(i) {
    for (const k of paired) if (rows[k] && rows[k].els) rows[k].els.g.classList.remove("dg-paired");
    paired = new Set(i >= 0 && tl ? tagPartners(tl.exchanges, i, protocol()).filter((k) => k !== i) : []);
    for (const k of paired) if (rows[k] && rows[k].els) rows[k].els.g.classList.add("dg-paired");
  }

  function badge(g, cls, y, label) {
    const w = 18 + label.length * 7.6, x = XS + (compact ? 10 : 22);
    el("rect", { class: `dg-badge ${cls}`, x, y, width: w, height: 22, rx: 11 }, g);
    text(g, { class: `dg-badge-text ${cls}`, x: x + w / 2, y: y + 15.5, "text-anchor": "middle" }, label);
  }

  /*
   * A silence: nothing reaches the client. A short dotted stub leaves the
   * server's lifeline and ends in an hourglass (the client waits); the label
   * says so in words, in the middle like any other.
   */
  function buildSilence(els, lab) {
    const g = els.g;
    const stub = Math.round(Math.min(130, Math.max(64, (XS - XC) * 0.22)));
    els.sx = XS; els.rx = XS - stub; els.y2 = ARROW_Y1 + 8;
    els.line = el("line", { class: "dg-silence-stub", x1: XS, y1: ARROW_Y1, x2: XS, y2: ARROW_Y1 }, g);
    els.mark = hourglass(g, els.rx - 11, els.y2 + 1, "dg-silence-mark");
    els.label = text(g, { class: "dg-label dg-silence-label", x: XM, y: LABEL_Y, "text-anchor": "middle" }, lab.text);
    const half = (lab.text.length * SANS) / 2 + 6;
    els.start = Math.max(XM, XS - half);
  }

  function buildTcp(els, ex, lab) {
    const g = els.g;
    const bar = el("g", { class: "dg-tcp-bar" }, g);
    els.bar = bar;
    el("rect", { class: "dg-tcp-track", x: XC, y: 8, width: XS - XC, height: 28, rx: 6 }, bar);
    els.barFill = el("rect", { class: "dg-tcp-fill", x: XC, y: 8, width: XS - XC, height: 28, rx: 6 }, bar);
    const room = Math.floor((XS - XC - 24) / 7.7); // 14px sans
    const more = tr(t, "diagram.tcp.more"), less = tr(t, "diagram.tcp.less");
    els.barText = text(bar, { class: "dg-tcp-text", x: XM, y: 27, "text-anchor": "middle" },
      `⇄ ${clip(lab.text, room - more.length - 4)}  ${more}`);
    const detail = el("g", { class: "dg-tcp-detail" }, g);
    els.detail = detail;
    const steps = TCP_STEPS[ex.text] || TCP_STEPS.close;
    const pad = compact ? 8 : 40;
    el("rect", { class: "dg-tcp-frame", x: XC - pad, y: 2, width: XS - XC + 2 * pad,
      height: TCP_CAPTION + steps.length * TCP_SUB + 2, rx: 8 }, detail);
    text(detail, { class: "dg-tcp-caption", x: XM, y: 18, "text-anchor": "middle" },
      `${clip(lab.text, room + Math.floor(2 * pad / 7.7) - less.length - 3)}  ${less}`);
    // Who starts: the connect's client, or the side that closed; then they alternate (FIN/ACK pairs by side).
    const first = ex.from;
    const other = first === "client" ? "server" : "client";
    const sides = ex.text === "connect" ? ["client", "server", "client"]
      : steps.length === 1 ? [first] : [first, other, other, first];
    els.subs = steps.map((name, k) => {
      const y0 = TCP_CAPTION + k * TCP_SUB;
      const sx = sides[k] === "server" ? XS : XC, rx = sides[k] === "server" ? XC : XS;
      const line = el("line", { class: "dg-tcp-arrow", x1: sx, y1: y0 + 12, x2: rx, y2: y0 + 24,
        "marker-end": `url(#dg-ah-tcp-${id})` }, detail);
      const label = text(detail, { class: "dg-tcp-step", x: XM, y: y0 + 13, "text-anchor": "middle" }, name);
      return { line, label, sx, rx, y1: y0 + 12, y2: y0 + 24 };
    });
    showTcpMode(els);
  }

  function showTcpMode(els) {
    els.bar.setAttribute("display", tcpDetail ? "none" : "inline");
    els.detail.setAttribute("display", tcpDetail ? "inline" : "none");
    const y = tcpDetail ? LABEL_Y : 27;
    els.seq.setAttribute("y", y);
    if (els.time) els.time.setAttribute("y", y + 17);
  }

  /* ---------- per-frame updates: one row in flight ---------- */
  const lerp = (a, b, p) => a + (b - a) * p;
  function frac() { return pos - Math.floor(pos); }

  function progress(i, p, force) {
    const r = rows[i], e = r.els;
    if (reduced.matches) p = 1;
    if (!force && r.p === p) return;
    r.p = p;
    if (e.kind === "tcp") {
      const w = (XS - XC) * p;
      e.barFill.setAttribute("width", w);
      e.barFill.setAttribute("x", e.from === "server" ? XS - w : XC);
      e.barText.setAttribute("opacity", p < 1 ? 0.35 + 0.65 * p : 1);
      const n = e.subs.length;
      e.subs.forEach((s, k) => {
        const q = Math.max(0, Math.min(1, p * n - k));
        const show = q > 0 ? "inline" : "none";
        s.line.setAttribute("display", show);
        s.label.setAttribute("display", show);
        s.line.setAttribute("x2", lerp(s.sx, s.rx, q));
        s.line.setAttribute("y2", lerp(s.y1, s.y2, q));
      });
      return;
    }
    const x2 = lerp(e.sx, e.rx, p), y2 = lerp(ARROW_Y1, e.y2 || ARROW_Y2, p);
    e.line.setAttribute("x2", x2);
    e.line.setAttribute("y2", y2);
    if (e.fat) { e.fat.setAttribute("x2", x2); e.fat.setAttribute("y2", y2); }
    e.label.setAttribute("x", lerp(e.start, XM, p));
    e.label.setAttribute("opacity", p < 1 ? 0.45 + 0.55 * p : 1);
    if (e.mark) e.mark.setAttribute("opacity", p < 1 ? Math.max(0, 2.5 * p - 1.5) : 1); // shows as the stub ends
  }

  /*
   * Only the rows near the viewport are displayed (about three screens'
   * worth): paint and layout then cost the same for 20 exchanges or 2000.
   * `shown` is the displayed range [shownA, shownB) within [0, visible).
   */
  function rowAt(y) { // the first row whose bottom is below y
    let lo = 0, hi = laid;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].top + rows[mid].h <= y) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function updateWindow() {
    const view = boxH / scale;
    const top = (scrollY - HEAD_H * scale) / scale;
    const a = Math.min(visible, rowAt(top - view));
    const b = Math.min(visible, rowAt(top + 2 * view) + 1);
    viewFirst = Math.min(visible - 1, rowAt(top + PHASE_H));
    if (a !== shownA || b !== shownB) {
      for (let i = shownA; i < shownB; i++) if (i < a || i >= b) setShown(i, false);
      for (let i = a; i < b; i++) if (i < shownA || i >= shownB) setShown(i, true);
      shownA = a; shownB = b;
    }
    fixTabStop();
  }
  function setShown(i, on) {
    const r = rows[i];
    if (on && !r.els) buildRow(i);
    if (!r.els) return;
    r.els.g.setAttribute("display", on ? "inline" : "none");
    if (on) progress(i, i === inflight ? frac() : 1);
  }
  const isShown = (i) => i >= shownA && i < shownB;

  function syncBands() {
    const lastRow = visible - 1;
    const lastBand = lastRow >= 0 ? rows[lastRow].band : -1;
    bands.forEach((b, k) => {
      if (k <= lastBand && !b.els) buildBand(b, k);
      if (!b.els) return;
      b.els.g.setAttribute("display", k <= lastBand ? "inline" : "none");
      if (k > lastBand) return;
      const bottom = k < lastBand ? b.bottom : rows[lastRow].top + rows[lastRow].h + BAND_PAD;
      const h = bottom - b.top;
      if (b.shownH !== h) { b.els.rect.setAttribute("height", h); b.shownH = h; }
      b.els.rect.setAttribute("y", b.top);
      b.els.g.lastChild.setAttribute("y", b.top + 27);
    });
  }

  /*
   * Fit: the scale follows the container's width between 0.85 and 1.6, and
   * the drawing is as wide as the container at that scale, so a narrow
   * column gets a narrower diagram (more truncation, short badges) rather
   * than tiny text. A fixed zoom keeps its scale and fits the width the same
   * way, down to 480 units (then the box scrolls sideways).
   */
  function geometry() {
    const bw = boxW || 1000;
    scale = zoom === "fit" ? Math.max(0.85, Math.min(1.6, bw / 1000)) : zoom;
    const w = Math.max(480, Math.floor(bw / scale));
    if (w === W) return false;
    W = w;
    compact = W < 820;
    const gutter = compact ? 84 : 210;
    XC = gutter;
    XS = W - gutter;
    XM = (XC + XS) / 2;
    maxChars = Math.max(16, Math.floor((XS - XC - 28) / MONO));
    return true;
  }

  /** Draws everything again for a new width (only the rows near the view are built). */
  function rebuild() {
    rowLayer.replaceChildren();
    bandLayer.replaceChildren();
    for (const r of rows) if (r) { r.els = null; r.p = -1; }
    for (const b of bands) { b.els = null; b.shownH = -1; }
    shownA = shownB = 0;
    tabStop = -1;
    for (const [line, x] of [[lifeC, XC], [lifeS, XS]]) { line.setAttribute("x1", x); line.setAttribute("x2", x); }
    empty.setAttribute("x", XM);
    drawHeads();
    syncBands();
  }

  function resized() {
    const oldScale = scale;
    const changed = geometry();
    if (changed) rebuild();
    applySize();
    if (changed || scale !== oldScale) scrollToRow(selected >= 0 && selected < visible ? selected : visible - 1);
    updateWindow();
  }

  /*
   * The body is as tall as the whole laid-out session (rounded up to a few
   * rows), not just the part played so far: in Chromium a change of an SVG's
   * height costs time in proportion to all its elements, hidden or not, so it
   * must not happen on every exchange. It happens when the session grows.
   */
  function applySize() {
    const content = laid ? Math.ceil((cursor + BAND_PAD + 24) / GROW) * GROW : 120;
    const minH = Math.max(120, (boxH - HEAD_H * scale) / scale - 2);
    const h = Math.max(content, minH);
    if (h === height && scale === shownScale && W === shownW) return;
    height = h;
    if (scale !== shownScale || W !== shownW) {
      shownScale = scale;
      shownW = W;
      root.setAttribute("transform", `scale(${scale})`);
      svg.setAttribute("width", Math.round(W * scale));
      head.setAttribute("viewBox", `0 0 ${W} ${HEAD_H}`);
      // Exact sizes: a rounded height would give the viewBox a slightly
      // different scale from the body's, and the lifelines would not meet.
      head.setAttribute("width", +(W * scale).toFixed(3));
      head.setAttribute("height", +(HEAD_H * scale).toFixed(3));
    }
    svg.setAttribute("height", Math.ceil(height * scale));
    lifeC.setAttribute("y2", height);
    lifeS.setAttribute("y2", height);
  }

  /** Scrolls row i into view; atEnd: with it at the bottom, the rows before it above. */
  function scrollToRow(i, atEnd) {
    if (i < 0 || !rows[i]) return;
    const headPx = HEAD_H * scale;
    const first = bands[rows[i].band] && bands[rows[i].band].from === i;
    const top = headPx + (rows[i].top - (first ? PHASE_H : 0)) * scale, bottom = headPx + (rows[i].top + rows[i].h) * scale;
    let y = scrollY;
    if (bottom + 12 > y + boxH || (atEnd && top - 6 < y + headPx)) y = Math.max(0, bottom + 12 - boxH);
    else if (top - 6 < y + headPx) y = Math.max(0, top - headPx - 6);
    if (y !== scrollY) {
      scrollY = y;
      container.scrollTop = y;
    }
    updateWindow();
  }

  function setTabStop(i) {
    if (i === tabStop) return;
    if (tabStop >= 0 && rows[tabStop] && rows[tabStop].els) rows[tabStop].els.g.setAttribute("tabindex", "-1");
    tabStop = i;
    if (i >= 0 && rows[i].els) rows[i].els.g.setAttribute("tabindex", "0");
  }
  function fixTabStop() {
    if (isShown(selected)) setTabStop(selected);
    else setTabStop(isShown(viewFirst) ? viewFirst : shownB > shownA ? shownA : -1); // Tab lands in view
  }

  function render(timeline, position) {
    if (timeline !== tl || (tl && timeline.length < laid)) { tl = timeline; reset(); }
    if (!tl) return;
    if (tl.length > laid) {
      layout(laid);
      applySize();
      if (selected >= 0 && protocol() === "imap") markPaired(selected); // its answer may just have come
    }
    const n = tl.length;
    pos = Math.max(0, Math.min(n, Number(position) || 0));
    const vis = Math.ceil(pos - 1e-9);
    const fly = pos < vis ? vis - 1 : -1;
    const was = inflight;
    inflight = fly;
    if (was >= 0 && was !== fly && isShown(was)) progress(was, 1);
    if (vis !== visible) {
      if (vis < visible || vis > visible + 1) follow = true; // a seek: show where it went
      visible = vis;
      empty.setAttribute("display", n ? "none" : "inline");
      syncBands();
      if (follow) scrollToRow(visible - 1, true);
      updateWindow();
    }
    if (fly >= 0 && isShown(fly)) progress(fly, frac());
  }

  function relayout() {
    if (!tl) return;
    const keep = visible - 1;
    bandLayer.replaceChildren();
    layout(0);
    for (let i = 0; i < laid; i++) {
      const e = rows[i].els;
      if (!e) continue;
      e.g.setAttribute("transform", `translate(0,${rows[i].top})`);
      e.hit.setAttribute("height", rows[i].h - 2);
      if (e.kind === "tcp") showTcpMode(e);
    }
    syncBands();
    applySize();
    scrollToRow(selected >= 0 && selected < visible ? selected : keep);
  }

  function select(seq) {
    const i = tl ? tl.indexOfSeq(seq) : -1;
    if (selected >= 0 && rows[selected] && rows[selected].els) {
      rows[selected].els.g.classList.remove("dg-selected");
      rows[selected].els.g.removeAttribute("aria-current");
    }
    selected = i;
    markPaired(i);
    if (i >= 0 && rows[i] && rows[i].els) {
      rows[i].els.g.classList.add("dg-selected");
      rows[i].els.g.setAttribute("aria-current", "true");
      if (i < visible) scrollToRow(i);
    }
    fixTabStop();
  }

  function activate(i) {
    const ex = tl.exchanges[i];
    select(ex.seq);
    setTabStop(i);
    if (ex.kind === "tcp") setTcpDetail(!tcpDetail);
    if (onSelect) onSelect(ex, i);
  }

  function setTcpDetail(on) {
    on = !!on;
    if (on === tcpDetail) return;
    tcpDetail = on;
    relayout();
    if (onTcpDetail) onTcpDetail(on);
  }

  svg.addEventListener("click", (ev) => {
    const g = ev.target.closest && ev.target.closest(".dg-ex");
    if (g) activate(Number(g.getAttribute("data-index")));
  });
  svg.addEventListener("keydown", (ev) => {
    const g = ev.target.closest && ev.target.closest(".dg-ex");
    if (!g) return;
    const i = Number(g.getAttribute("data-index"));
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      activate(i);
      const again = rows[i].els && rows[i].els.g;
      if (again && document.activeElement !== again) again.focus();
    } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const j = i + (ev.key === "ArrowDown" ? 1 : -1);
      if (j >= 0 && j < visible) {
        ev.preventDefault();
        scrollToRow(j);
        if (!rows[j].els) return;
        setTabStop(j);
        rows[j].els.g.focus();
      }
    }
  });

  container.addEventListener("scroll", () => {
    const y = container.scrollTop;
    if (Math.abs(y - scrollY) > 2 && visible) {
      // The reader scrolled: keep following only while the newest row is in view.
      const r = rows[visible - 1];
      follow = (HEAD_H + r.top + r.h) * scale <= y + boxH + 24;
    }
    scrollY = y;
    updateWindow();
  }, { passive: true });

  let observer = null;
  if (typeof ResizeObserver === "function") {
    observer = new ResizeObserver(() => {
      boxH = container.clientHeight || boxH;
      boxW = container.clientWidth || boxW;
      resized();
    });
    observer.observe(container);
  }
  boxH = container.clientHeight || boxH;
  boxW = container.clientWidth || boxW;
  resized();

  return {
    render,
    setTcpDetail,
    /** The catalogue's {code: class} (colours); rows are drawn again with it. */
    setClasses(map) {
      classes = map || null;
      if (tl) rebuild();
      updateWindow();
    },
    /** A scale (1: 16 px labels) or "fit" (follow the container's width). */
    setZoom(f) {
      zoom = f === "fit" || !(Number(f) > 0) ? "fit" : Math.max(0.5, Math.min(3, Number(f)));
      resized();
    },
    select,
    /** Runs fn with the whole session drawn (every row, in full), then puts the view back. */
    drawAll(fn) {
      if (!tl) return fn();
      const keepPos = pos, keepScroll = scrollY, keepFollow = follow;
      follow = false;
      render(tl, tl.length);
      const a = shownA, b = shownB;
      for (let i = 0; i < visible; i++) if (!isShown(i)) setShown(i, true);
      shownA = 0; shownB = visible;
      try {
        return fn();
      } finally {
        for (let i = 0; i < visible; i++) if (i < a || i >= b) setShown(i, false);
        shownA = a; shownB = b;
        render(tl, keepPos);
        follow = keepFollow;
        if (scrollY !== keepScroll) { scrollY = keepScroll; container.scrollTop = keepScroll; }
        updateWindow();
      }
    },
    svgElement: svg,
    rootElement: root,
    headElement: head,
    get tcpDetail() { return tcpDetail; },
    get zoom() { return zoom === "fit" ? scale : zoom; },
    get timeline() { return tl; },
    get position() { return pos; },
    get height() { return height; },
    /** The height the drawn session needs (the body may be taller, to fill its box). */
    get contentHeight() { return laid ? cursor + BAND_PAD + 14 : 120; },
    destroy() {
      if (observer) observer.disconnect();
      if (reduced.removeEventListener) reduced.removeEventListener("change", onMotion);
      head.remove();
      svg.remove();
    },
  };
}
let uid = 1;
