/**
 * layout.js: the sequence diagram's geometry, as plain arithmetic (pure: no DOM).
 *
 * components/diagram.js draws; this module says where. Everything is in SVG
 * units (one unit is one CSS pixel at zoom 1) and computed, never measured
 * from the page: fixed row heights, monospace labels truncated by character
 * count. That is what keeps a frame cheap (200 exchanges at 8x with no long
 * task) and what lets node:test check the geometry (tests/js/layout.test.mjs).
 *
 * - geometry(boxW, zoom): the drawing's width and its lifelines' places;
 *   presenterGeometry(boxW, scale): the same for presenter mode, whose
 *   metrics (PRESENTER) are denser rows of larger type, so a whole figure
 *   fits a projected screen. Every function below takes its sizes from the
 *   geometry's or the layout's metrics (`g.m`, `lay.m`; NORMAL by default).
 * - wrapLabel(text, chars): a long label on two lines rather than cut.
 * - layOut(lay, exchanges, opts): one row per exchange, top to bottom, and
 *   one band per run of exchanges in the same phase.
 * - rowAt / rowWindow / bandBottom / bodyHeight / scrollFor: what is on
 *   screen, how tall the body is, where to scroll.
 * - arrowOf / silenceOf / labelStart / flight: an arrow, and where it is
 *   `p` of the way through its flight. badgeBox, gutterOf, tcpOf, actorOf:
 *   the rest of a row and the heads.
 */
import { TCP_STEPS } from "./timeline.js";
import { bandOf } from "./protocols.js";

/* Row and band sizes. */
export const HEAD_H = 78;
export const ROW = 60, LABEL_Y = 23, ARROW_Y1 = 32, ARROW_Y2 = 52;
export const PHASE_H = 40, BAND_PAD = 10, BAND_GAP = 10, TOP_PAD = 10;
export const TCP_ROW = 46, TCP_SUB = 30, TCP_CAPTION = 24;
/** The body grows by this much at a time (a change of its height is costly). */
export const GROW = 8 * ROW;
/** Average advance of a 16px label character: monospace (wire text) and sans (data, silence). */
export const MONO = 9.7, SANS = 8.8;
/** Average advance of a badge's (13px) and a TCP bar's (14px) character. */
export const BADGE_CHAR = 7.6, TCP_CHAR = 7.7;
/** Badges right of the server's lifeline: the first one's top, and the step to the next. */
export const BADGE_TOP = 6, BADGE_STEP = 25, BADGE_H = 22;
/** A band's title, from the band's top. */
export const BAND_TITLE_X = 24, BAND_TITLE_Y = 27;
/** The gutter's line of a collapsed TCP row (its bar is drawn lower than a label). */
const TCP_GUTTER_Y = 27;

export const lerp = (a, b, p) => a + (b - a) * p;

/** A label's second line, below its first. */
export const LINE = 20;

/** The sizes of the ordinary drawing (the constants above, as one object). */
export const NORMAL = Object.freeze({
  name: "normal", HEAD_H, ROW, LABEL_Y, ARROW_Y1, ARROW_Y2, LINE, PHASE_H, BAND_PAD, BAND_GAP, TOP_PAD,
  TCP_ROW, TCP_SUB, TCP_CAPTION, TCP_CAPTION_Y: 18, STEP_Y1: 12, STEP_Y2: 24, STEP_LABEL_Y: 13, TCP_BAR_Y: 8, TCP_BAR_H: 28, TCP_TEXT_Y: 27, TCP_GUTTER_Y,
  MONO, SANS, BADGE_CHAR, TCP_CHAR, BADGE_TOP, BADGE_STEP, BADGE_H, BAND_TITLE_X, BAND_TITLE_Y, BAND_TITLE_CHAR: 8.9,
  GUTTER: 210, GUTTER_COMPACT: 84, ACTOR_HW: 100, ACTOR_HW_COMPACT: 75, ACTOR_Y: 10, ACTOR_H: 44, ACTOR_H_SUB: 54,
  NAME_Y: 38, NAME_Y_SUB: 33, SUB_Y: 53, TIME_DY: 17,
});

/**
 * Presenter mode (one unit is one CSS pixel at a 1366 x 768 screen; the
 * page scales it up with the screen): every text at least 20 units (labels
 * 22, diagram.css), rows 38 units instead of 60, thin band titles, short
 * heads, so the 14 exchanges of the lecture's fig. 14.7 fit 768 px.
 */
export const PRESENTER = Object.freeze({
  ...NORMAL, name: "presenter",
  HEAD_H: 50, ROW: 38, LABEL_Y: 21, ARROW_Y1: 28, ARROW_Y2: 34, LINE: 24,
  PHASE_H: 30, BAND_PAD: 4, BAND_GAP: 6, TOP_PAD: 4,
  TCP_ROW: 38, TCP_SUB: 40, TCP_CAPTION: 30, TCP_CAPTION_Y: 22, STEP_Y1: 24, STEP_Y2: 34, STEP_LABEL_Y: 18, TCP_BAR_Y: 5, TCP_BAR_H: 28, TCP_TEXT_Y: 26, TCP_GUTTER_Y: 26,
  MONO: 13.4, SANS: 12.2, BADGE_CHAR: 11.6, TCP_CHAR: 11.8, BADGE_TOP: 5, BADGE_STEP: 31, BADGE_H: 28,
  BAND_TITLE_X: 16, BAND_TITLE_Y: 22, BAND_TITLE_CHAR: 12.4,
  GUTTER: 104, GUTTER_COMPACT: 104, ACTOR_HW: 94, ACTOR_HW_COMPACT: 94, ACTOR_Y: 4, ACTOR_H: 40, ACTOR_H_SUB: 40,
  NAME_Y: 31, NAME_Y_SUB: 31, SUB_Y: 31, TIME_DY: 22,
});

/** Before the container has been measured. */
export const INITIAL_GEOMETRY = Object.freeze({ scale: 1, W: 0, compact: false, XC: 210, XS: 790, XM: 500, maxChars: 54, m: NORMAL });

/**
 * The drawing for a container `boxW` pixels wide at `zoom` ("fit" or a
 * scale). Fit: the scale follows the width between 0.85 and 1.6 and the
 * drawing is as wide as the container at that scale, so a narrow column gets
 * a narrower diagram (more truncation, short badges) rather than tiny text.
 * A fixed zoom keeps its scale and fits the width the same way, down to 480
 * units (then the box scrolls sideways); fit goes down to 340 units, a phone's
 * column, so the server's lifeline is never off-screen. Returns {scale, W, compact, XC (the
 * client's lifeline), XS (the server's), XM (the labels' centre), maxChars
 * (the label characters that fit between the lifelines)}.
 */
const FIT_MIN_W = 340;

export function geometry(boxW, zoom = "fit") {
  const bw = boxW || 1000;
  const scale = zoom === "fit" ? Math.max(0.85, Math.min(1.6, bw / 1000)) : zoom;
  // Fit never makes the box scroll sideways: down to a phone's column (about 300 px), the
  // labels wrap between closer lifelines instead. A fixed zoom stops at 480 units.
  const W = Math.max(zoom === "fit" ? FIT_MIN_W : 480, Math.floor(bw / scale));
  const compact = W < 820;
  const gutter = compact ? 84 : 210;
  const XC = gutter, XS = W - gutter;
  return { scale, W, compact, XC, XS, XM: (XC + XS) / 2, maxChars: Math.max(16, Math.floor((XS - XC - 28) / MONO)), m: NORMAL };
}

/**
 * Presenter mode's drawing for a container `boxW` pixels wide at `scale`
 * (the page chooses it from the screen): PRESENTER's metrics, narrow
 * gutters, short badges (compact), no time column.
 */
export function presenterGeometry(boxW, scale) {
  const m = PRESENTER;
  const W = Math.max(480, Math.floor((boxW || 1000) / scale));
  const XC = m.GUTTER, XS = W - m.GUTTER;
  return { scale, W, compact: true, XC, XS, XM: (XC + XS) / 2, maxChars: Math.max(16, Math.floor((XS - XC - 28) / m.MONO)), m };
}

/**
 * A label of at most `lines` lines of `chars` characters: broken at the last
 * space (or after a comma, ">" or ";") that fits, the last line cut with "…".
 * One line when it fits, so short labels are drawn as before.
 */
export function wrapLabel(text, chars, lines = 2) {
  const out = [];
  let rest = String(text);
  while (rest.length > chars && out.length < lines - 1) {
    let at = -1;
    for (let k = Math.min(chars, rest.length - 1); k > chars * 0.45; k--) {
      if (rest[k] === " ") { at = k; break; }
      if (",;>".includes(rest[k - 1])) { at = k; break; }
    }
    if (at < 0) at = chars;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest.length > chars ? rest.slice(0, Math.max(1, chars - 1)) + "…" : rest);
  return out;
}

/** The steps of a TCP event's detail (connect: the handshake; else the close). */
export function tcpSteps(ex) {
  return TCP_STEPS[ex.text] || TCP_STEPS.close;
}

/** A row's height: one arrow (its label on `lines` lines), a TCP bar, or a TCP event opened into its steps. */
export function rowHeight(ex, tcpDetail = false, lines = 1, m = NORMAL) {
  if (ex.kind !== "tcp") return m.ROW + (Math.max(1, lines) - 1) * m.LINE;
  if (!tcpDetail) return m.TCP_ROW;
  return m.TCP_CAPTION + tcpSteps(ex).length * m.TCP_SUB + 8;
}

/** A layout with nothing laid out yet, in metrics `m`. */
export function emptyLayout(m = NORMAL) {
  return { rows: [], bands: [], cursor: m.TOP_PAD, laid: 0, m };
}

/**
 * Lays out exchanges [from, length) below those already laid (`from` is
 * `lay.laid` by default; 0 lays everything out again, e.g. for the TCP
 * detail). Each exchange gets a row {top, h, band}; each run of exchanges in
 * one phase (protocols.js bandOf) a band {phase, from, to, top, bottom} that
 * starts with its title and holds its rows. Updates and returns `lay`
 * ({rows, bands, cursor: the next row's top, laid: how many are laid out}):
 * a live session that grows costs one row, not a new layout. `linesOf(i)`
 * says on how many lines exchange i's label is drawn (wrapLabel; 1 when absent).
 */
export function layOut(lay, exchanges, { protocol = "smtp", tcpDetail = false, from = lay.laid, linesOf = null } = {}) {
  const { rows, bands } = lay;
  const m = lay.m || NORMAL;
  const { TOP_PAD, BAND_PAD, BAND_GAP, PHASE_H } = m;
  if (from === 0) { lay.cursor = TOP_PAD; bands.length = 0; }
  let cursor = lay.cursor;
  for (let i = from; i < exchanges.length; i++) {
    const ex = exchanges[i];
    const phase = bandOf(protocol, ex.phase);
    const last = bands[bands.length - 1];
    if (!last || last.phase !== phase) {
      if (last) cursor += BAND_PAD + BAND_GAP;
      bands.push({ phase, from: i, to: i, top: cursor, bottom: 0 });
      cursor += PHASE_H;
    }
    const b = bands[bands.length - 1];
    b.to = i;
    const lines = linesOf ? linesOf(i) : 1;
    const h = rowHeight(ex, tcpDetail, lines, m);
    rows[i] = { top: cursor, h, band: bands.length - 1, lines };
    cursor += h;
    b.bottom = cursor + BAND_PAD;
  }
  lay.cursor = cursor;
  lay.laid = exchanges.length;
  return lay;
}

/** The band of the last shown row (-1 when none shows). */
export function lastBand(lay, visible) {
  return visible > 0 ? lay.rows[visible - 1].band : -1;
}

/** Band k's bottom while `visible` rows show: its own, or just below the last shown row while it fills. */
export function bandBottom(lay, k, visible) {
  const last = visible - 1;
  if (k < lastBand(lay, visible)) return lay.bands[k].bottom;
  return lay.rows[last].top + lay.rows[last].h + (lay.m || NORMAL).BAND_PAD;
}

/** The first row whose bottom is below y (binary search over the laid-out rows). */
export function rowAt(lay, y) {
  let lo = 0, hi = lay.laid;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lay.rows[mid].top + lay.rows[mid].h <= y) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * The rows worth displaying: [a, b) of the `visible` ones, about three
 * screens around the view (so paint and layout cost the same for 20
 * exchanges or 2000), and `first`, the first row in view below a band title.
 */
export function rowWindow(lay, { visible, scrollY, scale, boxH }) {
  const { HEAD_H, PHASE_H } = lay.m || NORMAL;
  const view = boxH / scale;
  const top = (scrollY - HEAD_H * scale) / scale;
  return {
    a: Math.min(visible, rowAt(lay, top - view)),
    b: Math.min(visible, rowAt(lay, top + 2 * view) + 1),
    first: Math.min(visible - 1, rowAt(lay, top + PHASE_H)),
  };
}

/** The height the laid-out session needs (the body may be taller, to fill its box). */
export function contentHeight(lay) {
  const m = lay.m || NORMAL;
  return lay.laid ? lay.cursor + m.BAND_PAD + (m === NORMAL ? 14 : 4) : 120;
}

/**
 * The body's height: the whole laid-out session rounded up to GROW (so it
 * changes when the session grows, not at every exchange), at least the box.
 */
export function bodyHeight(lay, { boxH, scale }) {
  const { BAND_PAD, HEAD_H } = lay.m || NORMAL;
  const content = lay.laid ? Math.ceil((lay.cursor + BAND_PAD + 24) / GROW) * GROW : 120;
  const minH = Math.max(120, (boxH - HEAD_H * scale) / scale - 2);
  return Math.max(content, minH);
}

/**
 * The scroll position (pixels) that shows row i below the heads, changing
 * `scrollY` as little as possible; atEnd: with the row at the bottom and the
 * rows before it above. A band's first row brings its title along.
 */
export function scrollFor(lay, i, { scrollY, boxH, scale, atEnd = false }) {
  const { HEAD_H, PHASE_H } = lay.m || NORMAL;
  const r = lay.rows[i];
  const headPx = HEAD_H * scale;
  const first = lay.bands[r.band] && lay.bands[r.band].from === i;
  const top = headPx + (r.top - (first ? PHASE_H : 0)) * scale, bottom = headPx + (r.top + r.h) * scale;
  if (bottom + 12 > scrollY + boxH || (atEnd && top - 6 < scrollY + headPx)) return Math.max(0, bottom + 12 - boxH);
  if (top - 6 < scrollY + headPx) return Math.max(0, top - headPx - 6);
  return scrollY;
}

/** Whether a row (the newest) is in view, or nearly, at scroll position `scrollY`. */
export function rowInView(row, { scrollY, boxH, scale, m = NORMAL }) {
  return (m.HEAD_H + row.top + row.h) * scale <= scrollY + boxH + 24;
}

/** An exchange's arrow: from its sender's lifeline to its receiver's, sloping down, below its label's `lines` lines. */
export function arrowOf(from, g, lines = 1) {
  const m = g.m || NORMAL;
  const server = from === "server";
  const dy = (Math.max(1, lines) - 1) * m.LINE;
  return { sx: server ? g.XS : g.XC, rx: server ? g.XC : g.XS, y1: m.ARROW_Y1 + dy, y2: m.ARROW_Y2 + dy };
}

/**
 * A silence: a short stub leaves the server's lifeline towards the client and
 * ends in an hourglass (mark: its centre), never reaching the client.
 */
export function silenceOf(g) {
  const { ARROW_Y1 } = g.m || NORMAL;
  const stub = Math.round(Math.min(130, Math.max(64, (g.XS - g.XC) * 0.22)));
  const rx = g.XS - stub, y2 = ARROW_Y1 + 8;
  return { sx: g.XS, rx, y1: ARROW_Y1, y2, markX: rx - 11, markY: y2 + 1 };
}

/** A label's width in units: `chars` characters of `charW`, and a margin each side. */
export function labelWidth(chars, charW = MONO) {
  return chars * charW + 12;
}

/**
 * Where a label starts its flight: just out of the sender's lifeline (its
 * half-width away), never past the middle `xm`, where every label lands.
 */
export function labelStart(sx, rx, xm, chars, charW = MONO) {
  const half = labelWidth(chars, charW) / 2;
  return rx > sx ? Math.min(xm, sx + half) : Math.max(xm, sx - half);
}

/**
 * An arrow `p` (0..1) of the way through its flight: its head (x2, y2), its
 * label's x (from `start` to `xm`) and opacity, and a silence mark's opacity
 * (it shows as the stub ends).
 */
export function flight(arrow, p, start, xm) {
  return {
    x2: lerp(arrow.sx, arrow.rx, p),
    y2: lerp(arrow.y1, arrow.y2, p),
    labelX: lerp(start, xm, p),
    labelOpacity: p < 1 ? 0.45 + 0.55 * p : 1,
    markOpacity: p < 1 ? Math.max(0, 2.5 * p - 1.5) : 1,
  };
}

/** The gutter left of the client's lifeline: the exchange's #seq, and its time below. */
export function gutterOf(kind, g, tcpDetail = false) {
  const m = g.m || NORMAL;
  const y = kind === "tcp" && !tcpDetail ? m.TCP_GUTTER_Y : m.LABEL_Y;
  return { x: g.compact ? 10 : 18, y, timeY: y + m.TIME_DY };
}

/** A badge (fault, delay) right of the server's lifeline, `y` from the row's top, wide enough for `label`. */
export function badgeBox(label, y, g) {
  const m = g.m || NORMAL;
  const w = 18 + String(label).length * m.BADGE_CHAR, x = g.XS + (g.compact ? 10 : 22);
  return { x, y, w, h: m.BADGE_H, textX: x + w / 2, textY: y + m.BADGE_H * 0.7 };
}

/** The band's box: across the drawing, from its top to `bottom`. */
export function bandBox(band, bottom, g) {
  const m = g.m || NORMAL;
  return { x: 8, y: band.top, w: g.W - 16, h: bottom - band.top, titleX: m.BAND_TITLE_X, titleY: band.top + m.BAND_TITLE_Y };
}

/**
 * The tab behind a band's title, `chars` characters long: drawn over the
 * lifelines, so a long title ("2 · Message transfer (fig. 14.7)") is never
 * crossed by one. Its width is an estimate by character count, with room to spare.
 */
export function bandTitleTab(band, chars, g) {
  const m = g.m || NORMAL;
  const w = Math.min(g.W - 2 * m.BAND_TITLE_X, chars * m.BAND_TITLE_CHAR + 20);
  return { x: m.BAND_TITLE_X - 8, y: band.top + 4, w, h: m.PHASE_H - 8 };
}

/** The clickable area of a row of height h. */
export function hitBox(h, g) {
  return { x: 4, y: 1, w: g.W - 8, h: h - 2 };
}

/**
 * A TCP event's geometry: the collapsed bar between the lifelines (and the
 * characters its text may take, `more` being the "show more" words), and the
 * detail frame with one arrow per step. Who starts: the connect's client, or
 * the side that closed; then they alternate (FIN/ACK pairs by side).
 */
export function tcpOf(ex, g, { more = "", less = "" } = {}) {
  const m = g.m || NORMAL;
  const { TCP_CHAR, TCP_CAPTION, TCP_SUB } = m;
  const span = g.XS - g.XC;
  const room = Math.floor((span - 24) / TCP_CHAR);
  const pad = g.compact ? 8 : 40;
  const names = tcpSteps(ex);
  const first = ex.from;
  const other = first === "client" ? "server" : "client";
  const sides = ex.text === "connect" ? ["client", "server", "client"]
    : names.length === 1 ? [first] : [first, other, other, first];
  return {
    bar: { x: g.XC, y: m.TCP_BAR_Y, w: span, h: m.TCP_BAR_H, textY: m.TCP_TEXT_Y, chars: room - more.length - 4 },
    frame: { x: g.XC - pad, y: 2, w: span + 2 * pad, h: TCP_CAPTION + names.length * TCP_SUB + 2 },
    caption: { y: m.TCP_CAPTION_Y, chars: room + Math.floor(2 * pad / TCP_CHAR) - less.length - 3 },
    steps: names.map((name, k) => {
      const y0 = TCP_CAPTION + k * TCP_SUB;
      const server = sides[k] === "server";
      return { name, side: sides[k], sx: server ? g.XS : g.XC, rx: server ? g.XC : g.XS,
        y1: y0 + m.STEP_Y1, y2: y0 + m.STEP_Y2, labelY: y0 + m.STEP_LABEL_Y };
    }),
  };
}

/** The bar's fill `p` of the way, growing from the side that acts. */
export function tcpFill(from, p, g) {
  const w = (g.XS - g.XC) * p;
  return { x: from === "server" ? g.XS - w : g.XC, w };
}

/** How far step k of n has got when the whole event is `p` of the way (0..1). */
export function stepProgress(p, n, k) {
  return Math.max(0, Math.min(1, p * n - k));
}

/** A lifeline's head: the actor's box (taller with a subtitle), its texts, and where the lifeline starts. */
export function actorOf(x, g, hasSub) {
  const m = g.m || NORMAL;
  if (m !== NORMAL) hasSub = false; // presenter mode: the name only
  const hw = g.compact ? m.ACTOR_HW_COMPACT : m.ACTOR_HW;
  const h = hasSub ? m.ACTOR_H_SUB : m.ACTOR_H;
  return { box: { x: x - hw, y: m.ACTOR_Y, w: 2 * hw, h }, nameY: hasSub ? m.NAME_Y_SUB : m.NAME_Y, subY: m.SUB_Y,
    subChars: g.compact ? 20 : 26, lifeTop: m.ACTOR_Y + h };
}
