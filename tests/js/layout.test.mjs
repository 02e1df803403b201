// Unit tests for static/js/core/layout.js: the sequence diagram's geometry, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HEAD_H, MONO, SANS, PHASE_H, TOP_PAD, ROW, TCP_ROW, GROW, INITIAL_GEOMETRY, LINE, PRESENTER,
  wrapLabel, presenterGeometry, bandTitleTab,
  geometry, emptyLayout, layOut, rowHeight, lastBand, bandBottom, rowAt, rowWindow, bodyHeight, contentHeight,
  scrollFor, rowInView, arrowOf, silenceOf, labelStart, labelWidth, flight, gutterOf, badgeBox, bandBox,
  hitBox, tcpOf, tcpFill, stepProgress, actorOf,
} from "../../static/js/core/layout.js";
import { labelOf } from "../../static/js/core/timeline.js";
import { smtpSession, pop3Session, imapSession, silentSession, transcriptOf } from "./fixtures.mjs";
import { readFileSync } from "node:fs";
import { translator } from "../../static/js/lib/i18n.js";

const strings = (lang) => JSON.parse(readFileSync(new URL(`../../simulator/i18n/diagram.${lang}.json`, import.meta.url)));
const EN = translator(strings("en"), "en"); // the page's own translator (lib/i18n.js)
const RU = translator(strings("ru"), "ru");
const WIDE = geometry(1000, "fit");
const NARROW = geometry(500, "fit");

function laidOut(exchanges, opts = {}) {
  return layOut(emptyLayout(), exchanges, { protocol: "smtp", ...opts });
}

test("the drawing fits its container: the lifelines inside, the client's left of the server's", () => {
  for (const [w, zoom] of [[1000, "fit"], [500, "fit"], [1600, "fit"], [3000, "fit"], [700, 1], [700, 2], [320, "fit"], [300, "fit"]]) {
    const g = geometry(w, zoom);
    assert.ok(g.XC > 0 && g.XC < g.XM && g.XM < g.XS && g.XS < g.W, `${w} at ${zoom}`);
    assert.equal(g.XM, (g.XC + g.XS) / 2, "labels are centred between the lifelines");
    if (zoom === "fit") {
      assert.ok(g.W >= 340, "fit: never narrower than 340 units, a phone's column");
      assert.ok(g.scale >= 0.85 && g.scale <= 1.6, "fit keeps the text readable");
      if (w >= 340 * 0.85) assert.ok(g.W * g.scale <= w + 1, "fit is no wider than the box, down to a phone's");
    } else {
      assert.ok(g.W >= 480, "a fixed zoom: never narrower than 480 units (then the box scrolls sideways)");
      assert.equal(g.scale, zoom, "a fixed zoom keeps its scale");
    }
  }
  assert.equal(WIDE.compact, false);
  assert.equal(NARROW.compact, true, "a narrow column gets the compact drawing");
  assert.ok(NARROW.maxChars < WIDE.maxChars, "and shorter labels");
  assert.ok(NARROW.XS - NARROW.XC > (NARROW.W - 2 * 84) - 1, "compact gutters are narrow");
  assert.equal(INITIAL_GEOMETRY.W, 0, "before the box is measured nothing is laid out at a width");
});

test("labels get the width they need: maxChars monospace characters fit between the lifelines", () => {
  for (const w of [400, 600, 820, 1000, 1300, 2000]) {
    const g = geometry(w, "fit");
    assert.ok(labelWidth(g.maxChars, MONO) <= g.XS - g.XC - 12, `${w}: ${g.maxChars} characters fit`);
    assert.ok(labelWidth(g.maxChars + 3, MONO) > g.XS - g.XC - 28 - 12 || g.maxChars === 16, `${w}: and not many more`);
  }
  // Every label made for the geometry (in its own font) fits between the lifelines.
  const exs = [...smtpSession({ transactions: 3 }), ...silentSession().filter((e) => e.kind === "silence")];
  for (const g of [WIDE, NARROW, geometry(380, "fit")]) {
    for (const ex of exs.filter((e) => e.kind !== "tcp")) {
      for (const t of [EN, RU]) {
        const { text } = labelOf(ex, t, "en", g.maxChars, { protocol: "smtp" });
        const font = ex.kind === "data" || ex.kind === "silence" ? SANS : MONO;
        assert.ok(text.length * font <= g.XS - g.XC, `${JSON.stringify(text)} fits ${g.XS - g.XC} units`);
      }
    }
  }
});

test("arrows slope down from the sender's lifeline to the receiver's", () => {
  for (const g of [WIDE, NARROW]) {
    const out = arrowOf("client", g), back = arrowOf("server", g);
    assert.equal(out.sx, g.XC); assert.equal(out.rx, g.XS);
    assert.equal(back.sx, g.XS); assert.equal(back.rx, g.XC);
    for (const a of [out, back]) {
      assert.ok(a.y2 > a.y1, "the head is lower than the tail: time runs down");
      assert.ok(a.y1 > 0 && a.y2 < ROW, "inside its row");
    }
  }
});

test("in flight, an arrow's head moves monotonically to the receiver and its label to the middle", () => {
  const g = WIDE;
  for (const from of ["client", "server"]) {
    const a = arrowOf(from, g);
    const start = labelStart(a.sx, a.rx, g.XM, 20);
    let prev = flight(a, 0, start, g.XM);
    assert.equal(prev.x2, a.sx); assert.equal(prev.y2, a.y1);
    assert.equal(prev.labelX, start);
    for (let p = 0.1; p <= 1.0001; p += 0.1) {
      const f = flight(a, Math.min(1, p), start, g.XM);
      assert.ok(from === "client" ? f.x2 > prev.x2 : f.x2 < prev.x2, "the head moves towards the receiver");
      assert.ok(f.y2 > prev.y2, "and down");
      assert.ok(f.labelOpacity >= prev.labelOpacity);
      prev = f;
    }
    assert.ok(Math.abs(prev.x2 - a.rx) < 1e-9 && Math.abs(prev.y2 - a.y2) < 1e-9, "it ends on the receiver's lifeline");
    assert.ok(Math.abs(prev.labelX - g.XM) < 1e-9, "every label lands in the middle");
    assert.equal(prev.labelOpacity, 1);
  }
  // A label starts just out of its sender's lifeline, never past the middle.
  const a = arrowOf("client", g);
  const short = labelStart(a.sx, a.rx, g.XM, 4);
  assert.ok(short > a.sx && short < g.XM);
  assert.ok(short - labelWidth(4) / 2 >= a.sx - 0.001, "the whole label clears the lifeline");
  assert.equal(labelStart(a.sx, a.rx, g.XM, 500), g.XM, "a long label starts in the middle");
  const b = arrowOf("server", g);
  assert.ok(labelStart(b.sx, b.rx, g.XM, 4) < b.sx);
  assert.ok(labelStart(b.sx, b.rx, g.XM, 4, SANS) > labelStart(b.sx, b.rx, g.XM, 4, MONO), "a narrower font starts closer");
});

test("a silence is a stub from the server that never reaches the client, its hourglass past the stub's end", () => {
  for (const g of [WIDE, NARROW]) {
    const s = silenceOf(g);
    assert.equal(s.sx, g.XS);
    assert.ok(s.rx < s.sx && s.rx > g.XC + (g.XS - g.XC) / 2, "short: it stops well before the middle");
    assert.ok(s.sx - s.rx >= 64 && s.sx - s.rx <= 130);
    assert.ok(s.y2 > s.y1);
    assert.ok(s.markX < s.rx && s.markY > s.y2 - 1);
    assert.equal(flight(s, 0.5, s.sx, g.XM).markOpacity, 0, "the hourglass shows as the stub ends");
    assert.equal(flight(s, 1, s.sx, g.XM).markOpacity, 1);
  }
});

test("a later exchange is lower: rows follow each other without overlapping", () => {
  const exs = smtpSession({ transactions: 5 });
  const lay = laidOut(exs);
  assert.equal(lay.laid, exs.length);
  assert.equal(lay.rows.length, exs.length);
  assert.ok(lay.rows[0].top >= TOP_PAD + PHASE_H, "the first row is below its band's title");
  for (let i = 1; i < exs.length; i++) {
    const a = lay.rows[i - 1], b = lay.rows[i];
    assert.ok(b.top >= a.top + a.h, `row ${i} starts below row ${i - 1}`);
    assert.ok(b.top > a.top);
  }
  for (let i = 0; i < exs.length; i++) assert.equal(lay.rows[i].h, rowHeight(exs[i]));
  assert.ok(exs.some((e) => e.kind === "tcp"));
  assert.equal(rowHeight({ kind: "tcp", text: "connect" }), TCP_ROW);
  assert.ok(rowHeight({ kind: "tcp", text: "connect" }, true) > TCP_ROW, "a TCP event opened into its steps is taller");
  assert.ok(rowHeight({ kind: "tcp", text: "close" }, true) > rowHeight({ kind: "tcp", text: "connect" }, true),
    "the close has four steps, the handshake three");
});

test("phases contain their exchanges, in order, one band per run of a phase", () => {
  for (const [protocol, exs] of [["smtp", smtpSession({ transactions: 3 })], ["pop3", pop3Session()], ["imap", imapSession()]]) {
    const lay = laidOut(exs, { protocol });
    assert.ok(lay.bands.length >= 2, `${protocol}: several phases`);
    let next = 0;
    lay.bands.forEach((b, k) => {
      assert.equal(b.from, next, "bands cover the exchanges with no gap");
      assert.ok(b.to >= b.from);
      next = b.to + 1;
      const first = lay.rows[b.from], last = lay.rows[b.to];
      assert.ok(b.top + PHASE_H <= first.top, "the title is above the band's first row");
      assert.ok(b.bottom >= last.top + last.h, "the band reaches below its last row");
      for (let i = b.from; i <= b.to; i++) assert.equal(lay.rows[i].band, k);
      if (k) {
        assert.ok(b.top > lay.bands[k - 1].bottom, "bands do not overlap");
        assert.notEqual(b.phase, lay.bands[k - 1].phase, "a new band starts when the phase changes");
      }
    });
    assert.equal(next, exs.length);
  }
});

test("a growing session lays out only its new rows, the same as laying out all at once", () => {
  const exs = smtpSession({ transactions: 4 });
  const grown = emptyLayout();
  for (let n = 1; n <= exs.length; n++) layOut(grown, exs.slice(0, n), { protocol: "smtp" });
  const whole = laidOut(exs);
  assert.deepEqual(grown, whole);
  // Laying out again from 0 (the TCP detail opened) gives the same as a fresh layout with it.
  layOut(grown, exs, { protocol: "smtp", tcpDetail: true, from: 0 });
  assert.deepEqual(grown, laidOut(exs, { tcpDetail: true }));
  assert.ok(grown.cursor > whole.cursor, "opened TCP rows make the session taller");
});

test("a band while it fills ends just below the last shown row", () => {
  const exs = smtpSession({ transactions: 2 });
  const lay = laidOut(exs);
  for (let visible = 1; visible <= exs.length; visible++) {
    const last = lastBand(lay, visible);
    assert.equal(last, lay.rows[visible - 1].band);
    for (let k = 0; k <= last; k++) {
      const bottom = bandBottom(lay, k, visible);
      const box = bandBox(lay.bands[k], bottom, WIDE);
      assert.ok(box.h >= PHASE_H, "at least its title");
      assert.ok(box.x > 0 && box.x + box.w < WIDE.W);
      if (k < last) assert.equal(bottom, lay.bands[k].bottom);
      else assert.ok(bottom > lay.rows[visible - 1].top + lay.rows[visible - 1].h);
    }
  }
  assert.equal(lastBand(lay, 0), -1);
});

test("the visible window: rows around the view, found by binary search", () => {
  const exs = transcriptOf(400).exchanges;
  const lay = laidOut(exs);
  assert.equal(rowAt(lay, -100), 0);
  assert.equal(rowAt(lay, lay.cursor + 1000), exs.length);
  for (const i of [0, 17, 200, exs.length - 1]) {
    const r = lay.rows[i];
    assert.equal(rowAt(lay, r.top), i, "a row's top is in that row");
    assert.equal(rowAt(lay, r.top + r.h), i + 1, "its bottom belongs to the next");
  }
  const view = { visible: exs.length, scale: 1, boxH: 600 };
  const top = rowWindow(lay, { ...view, scrollY: 0 });
  assert.equal(top.a, 0);
  assert.ok(top.b > 0 && top.b < 60, "only a few screens' worth are displayed");
  const mid = lay.rows[200];
  const scrollY = HEAD_H + mid.top;
  const w = rowWindow(lay, { ...view, scrollY });
  assert.ok(w.a <= 200 && 200 < w.b, "the row at the top of the view is displayed");
  assert.ok(w.a > 0 && w.b < exs.length);
  assert.ok(w.first >= w.a && w.first < w.b);
  const few = rowWindow(lay, { ...view, visible: 5, scrollY: 0 });
  assert.ok(few.b <= 5, "never more than the rows played so far");
});

test("scrolling brings a row into view below the heads, and following stops when the reader scrolls away", () => {
  const exs = transcriptOf(100).exchanges;
  const lay = laidOut(exs);
  const box = { boxH: 500, scale: 1.2 };
  for (const i of [0, 10, 60, exs.length - 1]) {
    const y = scrollFor(lay, i, { ...box, scrollY: 0, atEnd: true });
    const r = lay.rows[i];
    const bottom = (HEAD_H + r.top + r.h) * box.scale;
    assert.ok(bottom <= y + box.boxH, `row ${i} is not below the box`);
    assert.ok((HEAD_H + r.top) * box.scale >= y + HEAD_H * box.scale - 1 || r.h * box.scale > box.boxH, `row ${i} is not under the heads`);
    assert.ok(rowInView(r, { ...box, scrollY: y }));
  }
  const r = lay.rows[1];
  const y = scrollFor(lay, 40, { ...box, scrollY: 0 });
  assert.ok(y > 0);
  assert.equal(scrollFor(lay, 40, { ...box, scrollY: y }), y, "a row in view does not scroll");
  assert.equal(scrollFor(lay, 1, { ...box, scrollY: 0 }), 0, "nor does one near the top");
  assert.ok(!rowInView(lay.rows[exs.length - 1], { ...box, scrollY: 0 }), "the newest row far below is out of view");
  assert.ok(rowInView(r, { ...box, scrollY: 0 }));
});

test("the body grows in steps and is never shorter than its content or its box", () => {
  const box = { boxH: 600, scale: 1 };
  assert.equal(contentHeight(emptyLayout()), 120);
  let prev = 0;
  let changes = 0;
  const exs = transcriptOf(200).exchanges;
  const lay = emptyLayout();
  for (let n = 1; n <= exs.length; n++) {
    layOut(lay, exs.slice(0, n), { protocol: "smtp" });
    const h = bodyHeight(lay, box);
    assert.ok(h >= contentHeight(lay), "the whole session fits");
    assert.ok(h >= box.boxH - HEAD_H - 2, "the box is filled");
    assert.ok(h >= prev, "it never shrinks while the session grows");
    if (h !== prev) changes += 1;
    prev = h;
  }
  assert.ok(changes < exs.length / 5, `its height changed ${changes} times for ${exs.length} exchanges`);
  assert.equal(prev % GROW, 0);
});

test("badges, the gutter and the hit area stay in their places", () => {
  for (const g of [WIDE, NARROW]) {
    const short = badgeBox("⚡ 1", 6, g), long = badgeBox("⚡ fault rule 12 in force", 6, g);
    assert.ok(short.x > g.XS, "right of the server's lifeline");
    assert.ok(long.w > short.w, "a longer badge is wider");
    assert.ok(long.w >= "⚡ fault rule 12 in force".length * 7, "wide enough for its text");
    assert.equal(short.textX, short.x + short.w / 2);
    const gut = gutterOf("command", g);
    assert.ok(gut.x < g.XC && gut.timeY > gut.y);
    assert.ok(gutterOf("tcp", g).y > gutterOf("tcp", g, true).y, "a collapsed TCP row's number sits by its bar");
    const hit = hitBox(ROW, g);
    assert.ok(hit.x >= 0 && hit.x + hit.w <= g.W && hit.h < ROW);
    const head = actorOf(g.XC, g, true), bare = actorOf(g.XC, g, false);
    assert.ok(head.box.x + head.box.w / 2 === g.XC, "an actor is centred on its lifeline");
    assert.ok(head.box.h > bare.box.h && head.lifeTop > bare.lifeTop && head.lifeTop <= HEAD_H);
  }
});

test("a TCP event: the bar between the lifelines, its steps alternating sides and sloping down in order", () => {
  const g = WIDE;
  const connect = tcpOf({ kind: "tcp", text: "connect", from: "client" }, g, { more: "more", less: "less" });
  assert.equal(connect.bar.x, g.XC);
  assert.equal(connect.bar.w, g.XS - g.XC);
  assert.ok(connect.bar.chars > 10);
  assert.deepEqual(connect.steps.map((s) => s.side), ["client", "server", "client"], "SYN, SYN-ACK, ACK");
  connect.steps.forEach((s, k) => {
    assert.ok(s.y2 > s.y1);
    assert.equal(s.sx, s.side === "server" ? g.XS : g.XC);
    if (k) assert.ok(s.y1 > connect.steps[k - 1].y1, "a later step is lower");
    assert.ok(s.y2 < connect.frame.y + connect.frame.h);
  });
  const close = tcpOf({ kind: "tcp", text: "close", from: "server" }, g);
  assert.deepEqual(close.steps.map((s) => s.side), ["server", "client", "client", "server"]);
  assert.deepEqual(tcpFill("client", 0.5, g), { x: g.XC, w: (g.XS - g.XC) / 2 });
  assert.deepEqual(tcpFill("server", 0.5, g), { x: g.XS - (g.XS - g.XC) / 2, w: (g.XS - g.XC) / 2 });
  assert.deepEqual([0, 1, 2].map((k) => stepProgress(0.5, 3, k)), [1, 0.5, 0], "steps are played one after another");
  assert.ok(tcpOf({ kind: "tcp", text: "connect", from: "client" }, NARROW).frame.x > NARROW.XC - 40, "compact: a tighter frame");
});

test("a long label wraps onto a second line at a space, and only the second line is ever cut", () => {
  const long = "250 mx.example.org Hello client.example.net [192.0.2.10], pleased to meet you";
  const lines = wrapLabel(long, 44);
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => line.length <= 44));
  assert.equal(lines.join(" "), long, "nothing lost");
  assert.deepEqual(wrapLabel("250 OK", 40), ["250 OK"], "a short label stays on one line");
  const huge = wrapLabel("x".repeat(120), 40);
  assert.equal(huge.length, 2);
  assert.ok(huge[1].endsWith("…") && huge[1].length === 40);
  // A two-line label makes its row taller and its arrow lower, inside the row.
  assert.equal(rowHeight({ kind: "reply" }, false, 2), ROW + LINE);
  const a = arrowOf("server", WIDE, 2);
  assert.ok(a.y1 > arrowOf("server", WIDE).y1 && a.y2 < ROW + LINE);
  const lay = layOut(emptyLayout(), smtpSession(), { linesOf: (i) => (i === 3 ? 2 : 1) });
  assert.equal(lay.rows[3].h, ROW + LINE);
  assert.ok(lay.rows[4].top >= lay.rows[3].top + ROW + LINE);
});

test("a band's title tab covers the title and the client's lifeline under it", () => {
  for (const g of [WIDE, NARROW, presenterGeometry(940, 1)]) {
    const band = { top: 100 };
    const title = "2 · Message transfer (fig. 14.7)";
    const tab = bandTitleTab(band, title.length, g);
    const box = bandBox(band, 200, g);
    assert.ok(tab.x < box.titleX && tab.x + tab.w > box.titleX + title.length * g.m.BAND_TITLE_CHAR * 0.9);
    assert.ok(tab.y < box.titleY - 12 && tab.y + tab.h > box.titleY, "the title's line is inside the tab");
  }
});

test("presenter metrics: fig. 14.7's 14 exchanges in two bands fit a 1366 x 768 screen with 20 px type", () => {
  const g = presenterGeometry(940, 1);
  assert.equal(g.m, PRESENTER);
  assert.ok(g.XC >= 90 && g.maxChars >= 44, "narrow gutters, room for the lecture's lines");
  const exs = smtpSession().slice(0, 14).map((ex, i) => ({ ...ex, phase: i < 4 ? "establishment" : "transfer" }));
  const lay = layOut(emptyLayout(PRESENTER), exs, {});
  const total = PRESENTER.HEAD_H + contentHeight(lay);
  assert.ok(total <= 768 - 16 - 4, `${total} units fit the box`);
  assert.ok(PRESENTER.ROW >= PRESENTER.ARROW_Y2 + 4 && PRESENTER.LABEL_Y >= 20, "a 22 unit label above its arrow, inside the row");
  const a = actorOf(g.XC, g, true);
  assert.ok(a.box.y + a.box.h <= PRESENTER.HEAD_H && a.box.x >= 0, "the head holds the actor");
});
