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
import { replyClass, textLines, tr, trn, dataSummary } from "./timeline.js";

const NS = "http://www.w3.org/2000/svg";
/* Geometry, in viewBox units. */
export const W = 1000;
export const HEAD_H = 78;
const XC = 210, XS = 790, XM = (XC + XS) / 2;
const ROW = 60, LABEL_Y = 23, ARROW_Y1 = 32, ARROW_Y2 = 52;
const PHASE_H = 40, BAND_PAD = 10, BAND_GAP = 10, TOP_PAD = 10;
const TCP_ROW = 46, TCP_SUB = 30, TCP_CAPTION = 24;
const GROW = 8 * ROW; // the body grows by this much at a time
const MAX_CHARS = 54; // at 16px monospace, what fits between the lifelines
const PHASES = {
  establishment: { n: 1, fig: "14.6" },
  transfer: { n: 2, fig: "14.7" },
  termination: { n: 3, fig: "14.8" },
};
const SYMBOL = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };
const TCP_STEPS = {
  connect: ["SYN", "SYN-ACK", "ACK"],
  close: ["FIN", "ACK", "FIN", "ACK"],
  timeout: ["FIN", "ACK", "FIN", "ACK"],
  reset: ["RST"],
};

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
const clean = (s) => String(s).replace(/\t/g, " ").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "·");
export function clip(s, max) {
  s = clean(s);
  return s.length > max ? s.slice(0, Math.max(1, max - 1)) + "…" : s;
}
function seconds(ms, lang) {
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

/** The one-line label of an exchange and its full text (for the title). */
export function labelOf(ex, t, lang) {
  if (ex.kind === "tcp") return { text: tcpCaption(ex, t), full: tcpCaption(ex, t), cls: null };
  if (ex.kind === "data") {
    const s = dataSummary(ex.text);
    const params = { lines: trn(t, "diagram.lines", s.lines, null, lang), bytes: trn(t, "diagram.bytes", s.bytes, null, lang) };
    const label = s.subject !== null
      ? tr(t, "diagram.data_label_subject", { ...params, subject: clip(s.subject, 28) })
      : tr(t, "diagram.data_label", params);
    return { text: clip(label, MAX_CHARS + 8), full: ex.text, cls: null };
  }
  const lines = textLines(ex.text);
  let first = lines[0];
  if (ex.kind === "reply") {
    if (!/^\d{3}/.test(first) && ex.code) first = `${ex.code} ${first}`;
    const cls = replyClass(ex.code);
    const sym = SYMBOL[cls] ? SYMBOL[cls] + " " : "";
    const more = lines.length > 1 ? " " + trn(t, "diagram.more_lines", lines.length - 1, null, lang) : "";
    return { text: sym + clip(first, MAX_CHARS - more.length) + more, full: ex.text, cls };
  }
  if (first === "") first = tr(t, "diagram.empty_line");
  return { text: clip(first, MAX_CHARS), full: ex.text, cls: null };
}

function tcpCaption(ex, t) {
  const what = TCP_STEPS[ex.text] ? ex.text : "close";
  if (what === "connect") return tr(t, "diagram.tcp.connect");
  if (what === "reset") return tr(t, "diagram.tcp.reset", { side: tr(t, `diagram.side.${ex.from}`) });
  if (what === "timeout") return tr(t, "diagram.tcp.timeout");
  return tr(t, "diagram.tcp.close", { side: tr(t, `diagram.side.${ex.from}`) });
}

/** A sentence for screen readers: "Client sends: HELO x" / "Server replies 250: OK". */
export function narrate(ex, t, lang, exchanges, i) {
  let s;
  if (ex.kind === "tcp") s = tcpCaption(ex, t);
  else if (ex.kind === "data") s = tr(t, "diagram.say.data", { summary: labelOf(ex, t, lang).text.replace(/^✉\s*/, "") });
  else if (ex.kind === "reply") {
    const body = textLines(ex.text).map(stripCode).join(" · ");
    s = tr(t, "diagram.say.reply", { code: ex.code, klass: tr(t, `diagram.class.${replyClass(ex.code)}`), text: body });
  } else s = tr(t, "diagram.say.command", { text: ex.text || tr(t, "diagram.empty_line") });
  if (ex.fault) s += " " + faultSentence(ex, t, lang, exchanges, i);
  return s;
}

function faultSentence(ex, t, lang, exchanges, i) {
  const f = ex.fault;
  const d = exchanges ? delayOf(exchanges, i) : null;
  let s = tr(t, `diagram.fault.${f.action}`, { n: f.rule + 1, s: d === null ? "?" : seconds(d, lang) });
  if (f.natural && f.natural.code && f.action !== "delay") {
    s += " " + tr(t, "diagram.fault.natural", { text: textLines(f.natural.text || String(f.natural.code))[0] });
  }
  return s;
}

/**
 * Creates the diagram inside `container` (which becomes the scrolling box).
 * Options: t(key, params), onSelect(exchange, index), onTcpDetail(on), lang.
 */
export function createDiagram(container, { t, onSelect, onTcpDetail, lang } = {}) {
  lang = lang || document.documentElement.lang || "en";
  container.classList.add("dg-scroll");
  const head = el("svg", { class: "dg-svg dg-head", viewBox: `0 0 ${W} ${HEAD_H}`, "aria-hidden": "true" });
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

  let tl = null, laid = 0, rows = [], bands = [], cursor = TOP_PAD;
  let visible = 0, inflight = -1, pos = 0, selected = -1, tabStop = -1;
  let shownA = 0, shownB = 0, viewFirst = -1, scrollY = 0, follow = true;
  let tcpDetail = false, zoom = "fit", scale = 1, shownScale = 0, boxH = 400, boxW = W, height = 0;
  const reduced = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  const onMotion = () => { if (tl) for (let i = 0; i < visible; i++) progress(i, i === inflight ? frac() : 1, true); };
  if (reduced.addEventListener) reduced.addEventListener("change", onMotion);

  /* ---------- layout: pure arithmetic over the exchanges ---------- */
  function rowHeight(ex) {
    if (ex.kind !== "tcp") return ROW;
    if (!tcpDetail) return TCP_ROW;
    return TCP_CAPTION + (TCP_STEPS[ex.text] || TCP_STEPS.close).length * TCP_SUB + 8;
  }
  function layout(from) {
    const exs = tl.exchanges;
    if (from === 0) { cursor = TOP_PAD; bands.length = 0; }
    for (let i = from; i < exs.length; i++) {
      const ex = exs[i];
      const last = bands[bands.length - 1];
      if (!last || last.phase !== (ex.phase || null)) {
        if (last) cursor += BAND_PAD + BAND_GAP;
        bands.push({ phase: ex.phase || null, from: i, to: i, top: cursor, bottom: 0, els: null, shownH: -1 });
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
    shownA = shownB = 0;
    drawHeads();
  }

  /* ---------- building (once per row, when it first shows) ---------- */
  function drawHeads() {
    head.replaceChildren();
    el("rect", { class: "dg-head-bg", x: 0, y: 0, width: W, height: HEAD_H }, head);
    const proto = String((tl && tl.meta && tl.meta.protocol) || "smtp").toUpperCase();
    const meta = (tl && tl.meta) || {};
    text(head, { class: "dg-time-hint", x: 18, y: HEAD_H - 10 }, tr(t, "diagram.time_hint"));
    for (const [x, side, sub] of [[XC, "client", meta.client], [XS, "server", meta.server]]) {
      el("rect", { class: "dg-actor", x: x - 100, y: 10, width: 200, height: sub ? 54 : 44, rx: 10 }, head);
      text(head, { class: "dg-actor-name", x, y: sub ? 33 : 38, "text-anchor": "middle" },
        tr(t, `diagram.${side}_head`, { protocol: proto }));
      if (sub) text(head, { class: "dg-actor-sub", x, y: 53, "text-anchor": "middle" }, clip(sub, 26));
      el("line", { class: "dg-lifeline", x1: x, x2: x, y1: sub ? 64 : 54, y2: HEAD_H }, head);
    }
  }

  function buildBand(b, idx) {
    const g = el("g", { class: `dg-band dg-phase-${PHASES[b.phase] ? b.phase : "other"}` }, bandLayer);
    const rect = el("rect", { class: "dg-band-rect", x: 8, y: b.top, width: W - 16, height: PHASE_H, rx: 10 }, g);
    const info = PHASES[b.phase];
    const name = b.phase ? tr(t, `diagram.phase.${b.phase}`, null, b.phase) : tr(t, "diagram.phase.none");
    const proto = String((tl.meta && tl.meta.protocol) || "smtp").toLowerCase();
    const title = info && proto === "smtp"
      ? tr(t, "diagram.band_title_fig", { n: info.n, name, fig: info.fig })
      : tr(t, "diagram.band_title", { n: info ? info.n : idx + 1, name });
    text(g, { class: "dg-band-title", x: 24, y: b.top + 27 }, title);
    b.els = { g, rect };
  }

  function buildRow(i) {
    const ex = tl.exchanges[i];
    const r = rows[i];
    const lab = labelOf(ex, t, lang);
    const cls = ex.kind === "reply" ? (lab.cls ? `c${lab.cls}` : "cx") : ex.kind === "tcp" ? "tcp" : "cmd";
    const g = el("g", { class: `dg-ex dg-k-${ex.kind} dg-${cls}${ex.fault ? " dg-faulted" : ""}`, "data-index": i,
      "data-seq": ex.seq, role: "button", tabindex: "-1", "aria-label": narrate(ex, t, lang, tl.exchanges, i) });
    const title = el("title", null, g);
    title.textContent = ex.kind === "data" && ex.text.length > 4000 ? ex.text.slice(0, 4000) + "…" : lab.full;
    if (ex.fault) title.textContent += "\n" + faultSentence(ex, t, lang, tl.exchanges, i);
    const hit = el("rect", { class: "dg-hit", x: 4, y: 1, width: W - 8, height: r.h - 2, rx: 6 }, g);
    const els = { g, hit, kind: ex.kind, cls, from: ex.from, label: null, line: null, fat: null, bar: null, subs: null, steps: null };
    const seqY = ex.kind === "tcp" && !tcpDetail ? 27 : LABEL_Y;
    els.seq = text(g, { class: "dg-gutter", x: 18, y: seqY }, `#${ex.seq}`);
    if (typeof ex.t_ms === "number") {
      els.time = text(g, { class: "dg-gutter dg-time", x: 18, y: seqY + 17 }, tr(t, "diagram.seconds", { s: seconds(ex.t_ms, lang) }));
    }
    const sx = ex.from === "server" ? XS : XC, rx = ex.from === "server" ? XC : XS;
    els.sx = sx; els.rx = rx;
    if (ex.kind === "tcp") buildTcp(els, ex, lab);
    else {
      if (ex.kind === "data") els.fat = el("line", { class: "dg-fat", x1: sx, y1: ARROW_Y1, x2: rx, y2: ARROW_Y2 }, g);
      els.line = el("line", { class: "dg-arrow", x1: sx, y1: ARROW_Y1, x2: rx, y2: ARROW_Y2,
        "marker-end": `url(#dg-ah-${cls}-${id})` }, g);
      els.label = text(g, { class: `dg-label${ex.kind === "data" ? " dg-data-label" : ""}`, x: XM, y: LABEL_Y,
        "text-anchor": "middle" }, lab.text);
    }
    let by = 6;
    if (ex.fault) {
      badge(g, "dg-badge-fault", by, tr(t, "diagram.fault_badge", { n: ex.fault.rule + 1 }));
      by += 25;
    }
    const d = delayOf(tl.exchanges, i);
    if (d !== null) badge(g, "dg-badge-delay", by, tr(t, "diagram.delay_badge", { s: seconds(d, lang) }));
    r.els = els;
    if (i === selected) { g.classList.add("dg-selected"); g.setAttribute("aria-current", "true"); }
    g.setAttribute("transform", `translate(0,${r.top})`);
    rowLayer.appendChild(g);
  }

  function badge(g, cls, y, label) {
    const w = 18 + label.length * 7.6;
    el("rect", { class: `dg-badge ${cls}`, x: XS + 22, y, width: w, height: 22, rx: 11 }, g);
    text(g, { class: `dg-badge-text ${cls}`, x: XS + 22 + w / 2, y: y + 15.5, "text-anchor": "middle" }, label);
  }

  function buildTcp(els, ex, lab) {
    const g = els.g;
    const bar = el("g", { class: "dg-tcp-bar" }, g);
    els.bar = bar;
    el("rect", { class: "dg-tcp-track", x: XC, y: 8, width: XS - XC, height: 28, rx: 6 }, bar);
    els.barFill = el("rect", { class: "dg-tcp-fill", x: XC, y: 8, width: XS - XC, height: 28, rx: 6 }, bar);
    els.barText = text(bar, { class: "dg-tcp-text", x: XM, y: 27, "text-anchor": "middle" },
      `⇄ ${lab.text}  ${tr(t, "diagram.tcp.more")}`);
    const detail = el("g", { class: "dg-tcp-detail" }, g);
    els.detail = detail;
    const steps = TCP_STEPS[ex.text] || TCP_STEPS.close;
    el("rect", { class: "dg-tcp-frame", x: XC - 40, y: 2, width: XS - XC + 80,
      height: TCP_CAPTION + steps.length * TCP_SUB + 2, rx: 8 }, detail);
    text(detail, { class: "dg-tcp-caption", x: XM, y: 18, "text-anchor": "middle" }, `${lab.text}  ${tr(t, "diagram.tcp.less")}`);
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
    const x2 = lerp(e.sx, e.rx, p), y2 = lerp(ARROW_Y1, ARROW_Y2, p);
    e.line.setAttribute("x2", x2);
    e.line.setAttribute("y2", y2);
    if (e.fat) { e.fat.setAttribute("x2", x2); e.fat.setAttribute("y2", y2); }
    const start = e.sx + (e.rx > e.sx ? 1 : -1) * (XS - XC) * 0.22;
    e.label.setAttribute("x", lerp(start, XM, p));
    e.label.setAttribute("opacity", p < 1 ? 0.45 + 0.55 * p : 1);
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
   * The body is as tall as the whole laid-out session (rounded up to a few
   * rows), not just the part played so far: in Chromium a change of an SVG's
   * height costs time in proportion to all its elements, hidden or not, so it
   * must not happen on every exchange. It happens when the session grows.
   */
  function applySize() {
    const content = laid ? Math.ceil((cursor + BAND_PAD + 24) / GROW) * GROW : 120;
    scale = zoom === "fit" ? Math.max(0.5, Math.min(1.6, (boxW || W) / W)) : zoom;
    const minH = Math.max(120, (boxH - HEAD_H * scale) / scale - 2);
    const h = Math.max(content, minH);
    if (h === height && scale === shownScale) return;
    height = h;
    if (scale !== shownScale) {
      shownScale = scale;
      root.setAttribute("transform", `scale(${scale})`);
      svg.setAttribute("width", W * scale);
      head.setAttribute("width", W * scale);
      head.setAttribute("height", HEAD_H * scale);
    }
    svg.setAttribute("height", Math.ceil(height * scale));
    lifeC.setAttribute("y2", height);
    lifeS.setAttribute("y2", height);
  }

  function scrollToRow(i) {
    if (i < 0 || !rows[i]) return;
    const headPx = HEAD_H * scale;
    const first = bands[rows[i].band] && bands[rows[i].band].from === i;
    const top = headPx + (rows[i].top - (first ? PHASE_H : 0)) * scale, bottom = headPx + (rows[i].top + rows[i].h) * scale;
    let y = scrollY;
    if (bottom + 12 > y + boxH) y = bottom + 12 - boxH;
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
    if (tl.length > laid) { layout(laid); applySize(); }
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
      if (follow) scrollToRow(visible - 1);
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
      applySize();
      updateWindow();
    });
    observer.observe(container);
  }
  boxH = container.clientHeight || boxH;
  boxW = container.clientWidth || boxW;
  applySize();

  return {
    render,
    setTcpDetail,
    /** A number (1 = 1000 px wide) or "fit" (the container's width). */
    setZoom(f) {
      zoom = f === "fit" || !(Number(f) > 0) ? "fit" : Math.max(0.4, Math.min(3, Number(f)));
      const keep = visible - 1;
      applySize();
      scrollToRow(keep);
    },
    select,
    svgElement: svg,
    rootElement: root,
    headElement: head,
    get tcpDetail() { return tcpDetail; },
    get zoom() { return zoom === "fit" ? scale : zoom; },
    get timeline() { return tl; },
    get position() { return pos; },
    get height() { return height; },
    destroy() {
      if (observer) observer.disconnect();
      if (reduced.removeEventListener) reduced.removeEventListener("change", onMotion);
      head.remove();
      svg.remove();
    },
  };
}
let uid = 1;
