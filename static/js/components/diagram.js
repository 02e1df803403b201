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
 * visibility changed. Where everything goes (rows, bands, arrows, labels,
 * badges, the visible window, the body's height) is core/layout.js, plain
 * arithmetic tested under node:test; this module only draws it.
 *
 * All text goes in with textContent; every visible string comes from t().
 */
import { tr, labelOf, narrate, faultSentence, delayOf, seconds, clip } from "../core/timeline.js";
import { PROTOCOLS, protocolInfo, phaseNumber, phaseFigure, tagPartners } from "../core/protocols.js";
import {
  INITIAL_GEOMETRY,
  geometry as fitGeometry, presenterGeometry, wrapLabel, emptyLayout, layOut, lastBand, bandBottom, rowWindow,
  bodyHeight, contentHeight, scrollFor, rowInView, arrowOf, silenceOf, labelStart, flight, gutterOf, badgeBox,
  bandBox, bandTitleTab, hitBox, tcpOf, tcpFill, stepProgress, actorOf,
} from "../core/layout.js";


const NS = "http://www.w3.org/2000/svg";
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
  // Geometry (core/layout.js geometry()): W wide; lifelines at XC and XS; labels
  // centred on XM; compact below 820 units (short badges); maxChars: the label
  // characters that fit. It follows the container (see resized()).
  let geo = INITIAL_GEOMETRY;
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
  const lifeC = el("line", { class: "dg-lifeline", x1: geo.XC, x2: geo.XC, y1: 0, y2: 100 }, root);
  const lifeS = el("line", { class: "dg-lifeline", x1: geo.XS, x2: geo.XS, y1: 0, y2: 100 }, root);
  /*
   * The lifelines are masked where a band's title sits (its tab, in the mask
   * black), so they never cross a title: "2 · Message transfer (fig. 14.7)".
   */
  const lifeMask = el("mask", { id: `dg-lm-${id}`, maskUnits: "userSpaceOnUse", x: -100, y: -100, width: 1e6, height: 1e7 }, defs);
  el("rect", { x: -100, y: -100, width: 1e6, height: 1e7, fill: "#fff" }, lifeMask);
  const holeLayer = el("g", null, lifeMask); // one black tab per band
  for (const line of [lifeC, lifeS]) line.setAttribute("mask", `url(#dg-lm-${id})`);
  const rowLayer = el("g", { class: "dg-rows" }, root);
  const empty = text(root, { class: "dg-empty", x: geo.XM, y: 60, "text-anchor": "middle" }, tr(t, "diagram.empty"));

  // The layout (rows and bands, core/layout.js) and what is drawn of it: a
  // row's elements once built (rowEls[i]) and the progress they show
  // (rowP[i]); a band's elements (bandEls[k]) and the height they show.
  let tl = null, lay = emptyLayout(), rowEls = [], rowP = [], bandEls = [], bandShownH = [], paired = new Set();
  let visible = 0, inflight = -1, pos = 0, selected = -1, tabStop = -1;
  let shownA = 0, shownB = 0, viewFirst = -1, scrollY = 0, follow = true;
  let tcpDetail = false, zoom = "fit", scale = 1, shownScale = 0, shownW = 0, boxH = 400, boxW = 1000, height = 0;
  let presenter = null; // presenter mode: {scale} (the page's choice from the screen), else null
  const reduced = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  const onMotion = () => { if (tl) for (let i = 0; i < visible; i++) progress(i, i === inflight ? frac() : 1, true); };
  if (reduced.addEventListener) reduced.addEventListener("change", onMotion);

  const protocol = () => String((tl && tl.meta && tl.meta.protocol) || "smtp").toLowerCase();
  const labelOpts = () => ({ protocol: protocol(), classes });
  const view = () => ({ scrollY, boxH, scale, m: geo.m });

  /*
   * An arrow's label: a command's or reply's text on up to two lines (wrapLabel)
   * rather than cut; data summaries, silences and TCP bars stay on one.
   */
  function labelFor(ex) {
    const wraps = ex.kind === "command" || ex.kind === "reply";
    const lab = labelOf(ex, t, lang, wraps ? 2 * geo.maxChars - 4 : geo.maxChars, labelOpts());
    lab.lines = wraps ? wrapLabel(lab.text, geo.maxChars, 2) : [lab.text];
    return lab;
  }
  let labels = []; // labelFor(exchange i) at this width, made when laid out, used when drawn
  const labelAt = (i) => labels[i] || (labels[i] = labelFor(tl.exchanges[i]));
  const linesOf = (i) => labelAt(i).lines.length;

  function layout(from) {
    layOut(lay, tl.exchanges, { protocol: protocol(), tcpDetail, from, linesOf });
  }
  function reset() {
    rowLayer.replaceChildren();
    bandLayer.replaceChildren();
    holeLayer.replaceChildren();
    lay = emptyLayout(geo.m); rowEls = []; rowP = []; bandEls = []; bandShownH = []; labels = [];
    visible = 0; inflight = -1; selected = -1; tabStop = -1; height = 0;
    paired = new Set();
    shownA = shownB = 0;
    drawHeads();
  }

  /* ---------- building (once per row, when it first shows) ---------- */
  function drawHeads() {
    head.replaceChildren();
    const HEAD_H = geo.m.HEAD_H;
    el("rect", { class: "dg-head-bg", x: 0, y: 0, width: geo.W, height: HEAD_H }, head);
    const proto = String((tl && tl.meta && tl.meta.protocol) || "smtp").toUpperCase();
    const meta = (tl && tl.meta) || {};
    if (!geo.compact) text(head, { class: "dg-time-hint", x: 18, y: HEAD_H - 10 }, tr(t, "diagram.time_hint"));
    const subs = { client: meta.client || meta.peer, server: meta.server || (meta.port ? `:${meta.port}` : "") };
    for (const [x, side, sub] of [[geo.XC, "client", subs.client], [geo.XS, "server", subs.server]]) {
      const a = actorOf(x, geo, Boolean(sub));
      el("rect", { class: "dg-actor", x: a.box.x, y: a.box.y, width: a.box.w, height: a.box.h, rx: 10 }, head);
      text(head, { class: "dg-actor-name", x, y: a.nameY, "text-anchor": "middle" },
        tr(t, `diagram.${side}_head`, { protocol: proto }));
      if (sub) text(head, { class: "dg-actor-sub", x, y: a.subY, "text-anchor": "middle" }, clip(sub, a.subChars));
      el("line", { class: "dg-lifeline", x1: x, x2: x, y1: a.lifeTop, y2: HEAD_H }, head);
    }
  }

  function buildBand(b, idx) {
    const g = el("g", { class: `dg-band dg-phase-${BANDS.has(b.phase) ? b.phase : "other"}` }, bandLayer);
    const box = bandBox(b, b.top, geo);
    const rect = el("rect", { class: "dg-band-rect", x: box.x, y: box.y, width: box.w, height: geo.m.PHASE_H, rx: 10 }, g);
    const proto = protocol();
    const name = b.phase ? tr(t, `diagram.phase.${b.phase}`, null, b.phase) : tr(t, "diagram.phase.none");
    const n = phaseNumber(proto, b.phase) || idx + 1;
    const fig = phaseFigure(proto, b.phase);
    const title = fig
      ? tr(t, "diagram.band_title_fig", { n, name, fig })
      : tr(t, "diagram.band_title", { n, name });
    // The title sits on a tab of the band's colour, where the lifelines are masked out.
    const tab = bandTitleTab(b, title.length, geo);
    const tabRect = el("rect", { class: "dg-band-tab", x: tab.x, y: tab.y, width: tab.w, height: tab.h, rx: 6 }, g);
    const titleEl = text(g, { class: "dg-band-title", x: box.titleX, y: box.titleY }, title);
    const hole = el("rect", { class: "dg-band-hole", x: tab.x, y: tab.y, width: tab.w, height: tab.h, fill: "#000" }, holeLayer);
    bandEls[idx] = { g, rect, tabRect, titleEl, hole, chars: title.length };
    bandShownH[idx] = -1;
  }

  function buildRow(i) {
    const ex = tl.exchanges[i];
    const r = lay.rows[i];
    const lab = labelAt(i);
    const cls = ex.kind === "reply" ? (lab.cls ? `c${lab.cls}` : "cx") : ex.kind === "tcp" || ex.kind === "silence" ? ex.kind : "cmd";
    const g = el("g", { class: `dg-ex dg-k-${ex.kind} dg-${cls}${ex.fault ? " dg-faulted" : ""}${paired.has(i) ? " dg-paired" : ""}`,
      "data-index": i, "data-seq": ex.seq, role: "button", tabindex: "-1",
      "aria-label": narrate(ex, t, lang, tl.exchanges, i, labelOpts()) });
    if (lab.tag) g.setAttribute("data-tag", lab.tag);
    const title = el("title", null, g);
    title.textContent = ex.kind === "data" && ex.text.length > 4000 ? ex.text.slice(0, 4000) + "…" : lab.full;
    if (ex.fault) title.textContent += "\n" + faultSentence(ex, t, lang, tl.exchanges, i);
    const hb = hitBox(r.h, geo);
    const hit = el("rect", { class: "dg-hit", x: hb.x, y: hb.y, width: hb.w, height: hb.h, rx: 6 }, g);
    const els = { g, hit, kind: ex.kind, cls, from: ex.from, label: null, line: null, fat: null, bar: null, subs: null, steps: null };
    const gut = gutterOf(ex.kind, geo, tcpDetail);
    els.seq = text(g, { class: "dg-gutter", x: gut.x, y: gut.y }, `#${ex.seq}`);
    const prev = tl.exchanges[i - 1];
    const when = typeof ex.t_ms === "number" ? seconds(ex.t_ms, lang) : null;
    if (when !== null && !(prev && typeof prev.t_ms === "number" && seconds(prev.t_ms, lang) === when)) {
      // A time only where the clock moved: a scenario played at once shows one.
      els.time = text(g, { class: "dg-gutter dg-time", x: gut.x, y: gut.timeY }, tr(t, "diagram.seconds", { s: when }));
    }
    els.arrow = arrowOf(ex.from, geo, lab.lines.length);
    if (ex.kind === "tcp") buildTcp(els, ex, lab);
    else if (ex.kind === "silence") buildSilence(els, lab);
    else {
      const { sx, rx, y1, y2 } = els.arrow;
      if (ex.kind === "data") els.fat = el("line", { class: "dg-fat", x1: sx, y1, x2: rx, y2 }, g);
      els.line = el("line", { class: "dg-arrow", x1: sx, y1, x2: rx, y2,
        "marker-end": `url(#dg-ah-${cls}-${id})` }, g);
      els.label = text(g, { class: `dg-label${ex.kind === "data" ? " dg-data-label" : ""}`, x: geo.XM, y: geo.m.LABEL_Y,
        "text-anchor": "middle" }, lab.lines.length > 1 ? "" : lab.text);
      if (lab.lines.length > 1) {
        // A long label on two lines (tspans that move with the label in flight).
        els.lines = lab.lines.map((line, k) => {
          const span = el("tspan", { x: geo.XM, dy: k ? geo.m.LINE : 0 }, els.label);
          span.textContent = line;
          return span;
        });
        if (lab.tag) tagLabel(els.lines[0], lab.lines[0], lab.tag);
      } else if (lab.tag) tagLabel(els.label, lab.text, lab.tag);
      // In flight the label comes out of the sender's lifeline and slides to the middle.
      const widest = Math.max(...lab.lines.map((line) => line.length));
      els.start = labelStart(sx, rx, geo.XM, widest, ex.kind === "data" ? geo.m.SANS : geo.m.MONO);
    }
    let by = geo.m.BADGE_TOP;
    if (ex.fault) {
      badge(g, "dg-badge-fault", by, tr(t, geo.compact ? "diagram.fault_badge_short" : "diagram.fault_badge", { n: ex.fault.rule + 1 }));
      by += geo.m.BADGE_STEP;
    }
    const d = delayOf(tl.exchanges, i);
    if (d !== null) {
      badge(g, "dg-badge-delay", by, tr(t, geo.compact ? "diagram.delay_badge_short" : "diagram.delay_badge", { s: seconds(d, lang) }));
    }
    rowEls[i] = els;
    rowP[i] = -1;
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
    for (const k of paired) if (rowEls[k]) rowEls[k].g.classList.remove("dg-paired");
    paired = new Set(i >= 0 && tl ? tagPartners(tl.exchanges, i, protocol()).filter((k) => k !== i) : []);
    for (const k of paired) if (rowEls[k]) rowEls[k].g.classList.add("dg-paired");
  }

  function badge(g, cls, y, label) {
    const b = badgeBox(label, y, geo);
    el("rect", { class: `dg-badge ${cls}`, x: b.x, y: b.y, width: b.w, height: b.h, rx: 11 }, g);
    text(g, { class: `dg-badge-text ${cls}`, x: b.textX, y: b.textY, "text-anchor": "middle" }, label);
  }

  /*
   * A silence: nothing reaches the client. A short dotted stub leaves the
   * server's lifeline and ends in an hourglass (the client waits); the label
   * says so in words, in the middle like any other.
   */
  function buildSilence(els, lab) {
    const g = els.g;
    const s = silenceOf(geo);
    els.arrow = s;
    els.line = el("line", { class: "dg-silence-stub", x1: s.sx, y1: s.y1, x2: s.sx, y2: s.y1 }, g);
    els.mark = hourglass(g, s.markX, s.markY, "dg-silence-mark");
    els.label = text(g, { class: "dg-label dg-silence-label", x: geo.XM, y: geo.m.LABEL_Y, "text-anchor": "middle" }, lab.text);
    els.start = labelStart(s.sx, s.rx, geo.XM, lab.text.length, geo.m.SANS);
  }

  function buildTcp(els, ex, lab) {
    const g = els.g;
    const more = tr(t, "diagram.tcp.more"), less = tr(t, "diagram.tcp.less");
    const tcp = tcpOf(ex, geo, { more, less });
    const bar = el("g", { class: "dg-tcp-bar" }, g);
    els.bar = bar;
    el("rect", { class: "dg-tcp-track", x: tcp.bar.x, y: tcp.bar.y, width: tcp.bar.w, height: tcp.bar.h, rx: 6 }, bar);
    els.barFill = el("rect", { class: "dg-tcp-fill", x: tcp.bar.x, y: tcp.bar.y, width: tcp.bar.w, height: tcp.bar.h, rx: 6 }, bar);
    els.barText = text(bar, { class: "dg-tcp-text", x: geo.XM, y: tcp.bar.textY, "text-anchor": "middle" },
      `⇄ ${clip(lab.text, tcp.bar.chars)}`);
    interactive(els.barText, more);
    const detail = el("g", { class: "dg-tcp-detail" }, g);
    els.detail = detail;
    el("rect", { class: "dg-tcp-frame", x: tcp.frame.x, y: tcp.frame.y, width: tcp.frame.w, height: tcp.frame.h, rx: 8 }, detail);
    interactive(text(detail, { class: "dg-tcp-caption", x: geo.XM, y: tcp.caption.y, "text-anchor": "middle" },
      clip(lab.text, tcp.caption.chars)), less);
    els.subs = tcp.steps.map((s) => {
      const line = el("line", { class: "dg-tcp-arrow", x1: s.sx, y1: s.y1, x2: s.rx, y2: s.y2,
        "marker-end": `url(#dg-ah-tcp-${id})` }, detail);
      const label = text(detail, { class: "dg-tcp-step", x: geo.XM, y: s.labelY, "text-anchor": "middle" }, s.name);
      return { line, label, sx: s.sx, rx: s.rx, y1: s.y1, y2: s.y2 };
    });
    showTcpMode(els);
  }

  /* "▸ details" and its like: a span only the page shows (the SVG export leaves out .dg-interactive). */
  function interactive(label, words) {
    if (!words) return;
    const span = el("tspan", { class: "dg-interactive" }, label);
    span.textContent = `\u00a0\u00a0${words}`;
  }

  function showTcpMode(els) {
    els.bar.setAttribute("display", tcpDetail ? "none" : "inline");
    els.detail.setAttribute("display", tcpDetail ? "inline" : "none");
    const gut = gutterOf("tcp", geo, tcpDetail);
    els.seq.setAttribute("y", gut.y);
    if (els.time) els.time.setAttribute("y", gut.timeY);
  }

  /* ---------- per-frame updates: one row in flight ---------- */
  function frac() { return pos - Math.floor(pos); }

  function progress(i, p, force) {
    const e = rowEls[i];
    if (reduced.matches) p = 1;
    if (!force && rowP[i] === p) return;
    rowP[i] = p;
    if (e.kind === "tcp") {
      const fill = tcpFill(e.from, p, geo);
      e.barFill.setAttribute("width", fill.w);
      e.barFill.setAttribute("x", fill.x);
      e.barText.setAttribute("opacity", p < 1 ? 0.35 + 0.65 * p : 1);
      const n = e.subs.length;
      e.subs.forEach((s, k) => {
        const q = stepProgress(p, n, k);
        const f = flight(s, q, geo.XM, geo.XM);
        const show = q > 0 ? "inline" : "none";
        s.line.setAttribute("display", show);
        s.label.setAttribute("display", show);
        s.line.setAttribute("x2", f.x2);
        s.line.setAttribute("y2", f.y2);
      });
      return;
    }
    const f = flight(e.arrow, p, e.start, geo.XM);
    e.line.setAttribute("x2", f.x2);
    e.line.setAttribute("y2", f.y2);
    if (e.fat) { e.fat.setAttribute("x2", f.x2); e.fat.setAttribute("y2", f.y2); }
    e.label.setAttribute("x", f.labelX);
    if (e.lines) for (const span of e.lines) span.setAttribute("x", f.labelX);
    e.label.setAttribute("opacity", f.labelOpacity);
    if (e.mark) e.mark.setAttribute("opacity", f.markOpacity); // shows as the stub ends
  }

  /*
   * Only the rows near the viewport are displayed (about three screens'
   * worth): paint and layout then cost the same for 20 exchanges or 2000.
   * `shown` is the displayed range [shownA, shownB) within [0, visible).
   */
  function updateWindow() {
    const { a, b, first } = rowWindow(lay, { visible, scrollY, scale, boxH });
    viewFirst = first;
    if (a !== shownA || b !== shownB) {
      for (let i = shownA; i < shownB; i++) if (i < a || i >= b) setShown(i, false);
      for (let i = a; i < b; i++) if (i < shownA || i >= shownB) setShown(i, true);
      shownA = a; shownB = b;
    }
    fixTabStop();
  }
  function setShown(i, on) {
    if (on && !rowEls[i]) buildRow(i);
    if (!rowEls[i]) return;
    rowEls[i].g.setAttribute("display", on ? "inline" : "none");
    if (on) progress(i, i === inflight ? frac() : 1);
  }
  const isShown = (i) => i >= shownA && i < shownB;

  function syncBands() {
    const last = lastBand(lay, visible);
    lay.bands.forEach((b, k) => {
      if (k <= last && !bandEls[k]) buildBand(b, k);
      const els = bandEls[k];
      if (!els) return;
      els.g.setAttribute("display", k <= last ? "inline" : "none");
      els.hole.setAttribute("display", k <= last ? "inline" : "none");
      if (k > last) return;
      const box = bandBox(b, bandBottom(lay, k, visible), geo);
      if (bandShownH[k] !== box.h) { els.rect.setAttribute("height", box.h); bandShownH[k] = box.h; }
      els.rect.setAttribute("y", box.y);
      els.titleEl.setAttribute("y", box.titleY);
      const tab = bandTitleTab(b, els.chars, geo);
      els.tabRect.setAttribute("y", tab.y);
      els.hole.setAttribute("y", tab.y);
    });
  }

  /** The geometry for the container's width at the zoom; true when the drawing's width changed. */
  function geometry() {
    const next = presenter ? presenterGeometry(boxW, presenter.scale) : fitGeometry(boxW, zoom);
    scale = next.scale;
    if (next.W === geo.W && next.m === geo.m) return false;
    geo = next;
    return true;
  }


  /** Draws everything again for a new width (only the rows near the view are built). */
  function rebuild() {
    rowLayer.replaceChildren();
    bandLayer.replaceChildren();
    holeLayer.replaceChildren();
    if (lay.m !== geo.m) lay = emptyLayout(geo.m);
    labels = []; // another width (or classes): labels are made again
    if (tl) layout(0); // labels wrap by the width: the rows' heights may change
    rowEls = []; rowP = []; bandEls = []; bandShownH = [];
    shownA = shownB = 0;
    tabStop = -1;
    for (const [line, x] of [[lifeC, geo.XC], [lifeS, geo.XS]]) { line.setAttribute("x1", x); line.setAttribute("x2", x); }
    empty.setAttribute("x", geo.XM);
    drawHeads();
    syncBands();
  }

  function resized() {
    const oldScale = scale;
    const changed = geometry();
    if (changed) rebuild();
    applySize();
    if (presenter && (geo.m.HEAD_H + contentHeight(lay)) * scale <= boxH + 1) {
      // Presenter mode, and the whole session fits: show all of it, from the top.
      if (scrollY !== 0) { scrollY = 0; container.scrollTop = 0; }
    } else if (changed || scale !== oldScale) scrollToRow(selected >= 0 && selected < visible ? selected : visible - 1);
    updateWindow();
  }

  /*
   * The body is as tall as the whole laid-out session (rounded up to a few
   * rows), not just the part played so far: in Chromium a change of an SVG's
   * height costs time in proportion to all its elements, hidden or not, so it
   * must not happen on every exchange. It happens when the session grows.
   */
  function applySize() {
    const h = bodyHeight(lay, { boxH, scale });
    const W = geo.W;
    if (h === height && scale === shownScale && W === shownW) return;
    height = h;
    if (scale !== shownScale || W !== shownW) {
      shownScale = scale;
      shownW = W;
      root.setAttribute("transform", `scale(${scale})`);
      svg.setAttribute("width", Math.round(W * scale));
      head.setAttribute("viewBox", `0 0 ${W} ${geo.m.HEAD_H}`);
      // Exact sizes: a rounded height would give the viewBox a slightly
      // different scale from the body's, and the lifelines would not meet.
      head.setAttribute("width", +(W * scale).toFixed(3));
      head.setAttribute("height", +(geo.m.HEAD_H * scale).toFixed(3));
    }
    svg.setAttribute("height", Math.ceil(height * scale));
    lifeC.setAttribute("y2", height);
    lifeS.setAttribute("y2", height);
  }

  /** Scrolls row i into view; atEnd: with it at the bottom, the rows before it above. */
  function scrollToRow(i, atEnd) {
    if (i < 0 || !lay.rows[i]) return;
    const y = scrollFor(lay, i, { ...view(), atEnd });
    if (y !== scrollY) {
      scrollY = y;
      container.scrollTop = y;
    }
    updateWindow();
  }

  function setTabStop(i) {
    if (i === tabStop) return;
    if (tabStop >= 0 && rowEls[tabStop]) rowEls[tabStop].g.setAttribute("tabindex", "-1");
    tabStop = i;
    if (i >= 0 && rowEls[i]) rowEls[i].g.setAttribute("tabindex", "0");
  }
  function fixTabStop() {
    if (isShown(selected)) setTabStop(selected);
    else setTabStop(isShown(viewFirst) ? viewFirst : shownB > shownA ? shownA : -1); // Tab lands in view
  }

  function render(timeline, position) {
    if (timeline !== tl || (tl && timeline.length < lay.laid)) { tl = timeline; reset(); }
    if (!tl) return;
    if (tl.length > lay.laid) {
      layout(lay.laid);
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
    holeLayer.replaceChildren();
    bandEls = []; bandShownH = [];
    layout(0);
    for (let i = 0; i < lay.laid; i++) {
      const e = rowEls[i];
      if (!e) continue;
      e.g.setAttribute("transform", `translate(0,${lay.rows[i].top})`);
      e.hit.setAttribute("height", hitBox(lay.rows[i].h, geo).h);
      if (e.kind === "tcp") showTcpMode(e);
    }
    syncBands();
    applySize();
    scrollToRow(selected >= 0 && selected < visible ? selected : keep);
  }

  function select(seq) {
    const i = tl ? tl.indexOfSeq(seq) : -1;
    if (selected >= 0 && rowEls[selected]) {
      rowEls[selected].g.classList.remove("dg-selected");
      rowEls[selected].g.removeAttribute("aria-current");
    }
    selected = i;
    markPaired(i);
    if (i >= 0 && rowEls[i]) {
      rowEls[i].g.classList.add("dg-selected");
      rowEls[i].g.setAttribute("aria-current", "true");
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
      const again = rowEls[i] && rowEls[i].g;
      if (again && document.activeElement !== again) again.focus();
    } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const j = i + (ev.key === "ArrowDown" ? 1 : -1);
      if (j >= 0 && j < visible) {
        ev.preventDefault();
        scrollToRow(j);
        if (!rowEls[j]) return;
        setTabStop(j);
        rowEls[j].g.focus();
      }
    }
  });

  container.addEventListener("scroll", () => {
    const y = container.scrollTop;
    if (Math.abs(y - scrollY) > 2 && visible) {
      // The reader scrolled: keep following only while the newest row is in view.
      follow = rowInView(lay.rows[visible - 1], { scrollY: y, boxH, scale, m: geo.m });
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
    /**
     * Presenter mode on (`scale`: the page's, from the screen; 1 suits 1366 x 768)
     * or off: denser rows of larger type (core/layout.js PRESENTER).
     */
    setPresenter(on, presenterScaleHint = 1) {
      presenter = on ? { scale: Number(presenterScaleHint) > 0 ? Number(presenterScaleHint) : 1 } : null;
      container.classList.toggle("dg-presenting", Boolean(presenter));
      // From the top: the whole session when it fits, else down to the selected or newest row.
      scrollY = 0;
      container.scrollTop = 0;
      boxH = container.clientHeight || boxH; // the page's presenter layout is in force now
      boxW = container.clientWidth || boxW;
      resized();
      scrollToRow(selected >= 0 && selected < visible ? selected : visible - 1);
    },
    get presenting() { return Boolean(presenter); },
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
    get contentHeight() { return contentHeight(lay); },
    destroy() {
      if (observer) observer.disconnect();
      if (reduced.removeEventListener) reduced.removeEventListener("change", onMotion);
      head.remove();
      svg.remove();
    },
  };
}
let uid = 1;
