/**
 * sessionview.js: the session component the lab and live pages mount.
 *
 * Inside `root` it builds, top to bottom: the player controls (player.js)
 * with zoom, save/open and a keyboard-help menu; the scrolling diagram
 * (diagram.js) as a labelled region; a legend of the reply classes; a
 * visually hidden aria-live region that narrates each exchange as it lands;
 * and a status line for import results. Pages put the console, fault panel,
 * explanation and transcript around it and talk to it through the object
 * returned by createSessionView.
 */
import { Timeline, tr, className, narrate, replyClass, delayOf } from "../core/timeline.js";
import { protocolInfo, normaliseProtocol } from "../core/protocols.js";
import { createDiagram, hourglass } from "./diagram.js";
import { createPlayer } from "./player.js";
import { toText, toJSON, toMermaid, fromJSONText } from "../core/export.js";
import { toSVG } from "./svgexport.js";
import { download } from "../lib/dom.js";

const ZOOMS = [0.6, 0.75, 0.9, 1, 1.15, 1.3, 1.5, 1.75, 2];
const FORMATS = {
  text: { ext: "txt", mime: "text/plain;charset=utf-8" },
  json: { ext: "json", mime: "application/json" },
  svg: { ext: "svg", mime: "image/svg+xml" },
  mermaid: { ext: "mmd", mime: "text/plain;charset=utf-8" },
};

function h(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/**
 * Options: t, onSelect(exchange, index), title (the region's name), lang,
 * keyboard (document shortcuts, default true), tools (zoom buttons and key
 * help, default true), files (a save/open menu, default false: the pages'
 * transcript panel does that through exportAs/importJSON), meta (the first
 * timeline's metadata: its `protocol` names the lifelines, bands and
 * legend), classes (the protocol catalogue's {code: class}, see setClasses).
 */
export function createSessionView(root, { t, onSelect, title, lang, keyboard = true, tools = true, files = false,
  meta, classes = null } = {}) {
  lang = lang || document.documentElement.lang || "en";
  root.classList.add("mailsim-sv");
  root.replaceChildren();
  const bar = h("div", { class: "dg-toolbar dg-controls" }, root);
  const controls = h("div", { class: "dg-controls dg-player" }, bar);
  const region = h("div", { class: "dg-region", role: "region", tabindex: "0",
    "aria-label": title || tr(t, "diagram.aria.region") }, root);
  const legend = h("ul", { class: "dg-legend", "aria-label": tr(t, "diagram.legend.title") }, root);
  const status = h("p", { class: "dg-status", role: "status" }, root);
  const live = h("div", { class: "dg-sr-only", "aria-live": "polite", "aria-atomic": "true" }, root);

  let timeline = new Timeline(meta || {});
  let legendFor = null;
  let usedFrom = 0; // the exchanges markUsed() has seen
  buildLegend(legend);
  let player = null;
  const diagram = createDiagram(region, {
    t, lang, classes,
    onSelect: (ex, i) => { if (onSelect) onSelect(ex, i); },
    onTcpDetail: (on) => { if (player) player.syncTcpDetail(on); },
  });
  player = createPlayer({
    timeline, diagram, controls, t, lang, keyboard,
    onArrive: (ex, i) => {
      live.textContent = narrate(ex, t, lang, timeline.exchanges, i, { protocol: timeline.meta.protocol, classes });
    },
  });
  let zoomIndex = -1; // -1: fit the width
  if (tools) buildTools(h("div", { class: "dg-controls dg-tools" }, bar));

  /** The reply classes of the timeline's protocol, named in its terms: 2yz..5yz, or +OK / -ERR, or OK, +, NO, BAD. */
  function buildLegend(ul) {
    const protocol = normaliseProtocol(timeline.meta && timeline.meta.protocol) || "smtp";
    const key = `${protocol} ${JSON.stringify(classes || {})}`;
    if (key === legendFor) return ul;
    legendFor = key;
    ul.replaceChildren();
    const byClass = {};
    if (protocol === "smtp") Object.assign(byClass, { 2: ["2yz"], 3: ["3yz"], 4: ["4yz"], 5: ["5yz"] });
    else {
      // The protocol's own order (OK before PREAUTH), the catalogue's classes.
      const own = protocolInfo(protocol).classes;
      const mine = classes && Object.keys(classes).some((c) => c in own) ? classes : {};
      for (const code of [...new Set([...Object.keys(own), ...Object.keys(mine)])]) {
        const cls = code in mine ? mine[code] : own[code];
        (byClass[cls] = byClass[cls] || []).push(code);
      }
    }
    const symbols = { 2: "✔", 3: "➜", 4: "⟳", 5: "✖" };
    const items = [
      ...[2, 3, 4, 5].filter((c) => byClass[c]).map((c) => [`dg-l${c}`, symbols[c], byClass[c].join(" · "),
        null, className(t, c, protocol)]),
      ["dg-lf", "⚡", null, "diagram.legend.fault"],
      ["dg-ld", "◷", null, "diagram.legend.delay"],
      ["dg-ls", null, null, "diagram.legend.silence"], // an hourglass, drawn
      ["dg-lt", "⇄", null, "diagram.legend.tcp"],
    ];
    for (const [cls, sym, code, key, name] of items) {
      const li = h("li", { class: cls, "data-legend": cls.slice(4) }, ul);
      const s = h("span", { class: "dg-sym", "aria-hidden": "true" }, li, sym || undefined);
      if (!sym) {
        const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        for (const [k, v] of Object.entries({ viewBox: "-7 -10 14 20", width: "0.75em", height: "1.1em", focusable: "false" })) icon.setAttribute(k, v);
        icon.classList.add("dg-legend-icon");
        hourglass(icon, 0, 0);
        s.appendChild(icon);
      }
      if (code) h("b", {}, li, code);
      h("span", {}, li, name || tr(t, key));
    }
    usedFrom = 0;
    markUsed();
    return ul;
  }

  /*
   * Which legend entries the session uses (data-used on the item): presenter
   * mode shows only those, so the projected legend is one short line.
   */
  function markUsed() {
    const ex = timeline.exchanges;
    for (let i = usedFrom; i < ex.length; i++) {
      const e = ex[i];
      const keys = [];
      if (e.kind === "reply") keys.push(String(replyClass(e.code, classes)));
      if (e.kind === "silence") keys.push("s");
      if (e.kind === "tcp") keys.push("t");
      if (e.fault) keys.push("f");
      if (delayOf(ex, i) !== null) keys.push("d");
      for (const k of keys) {
        const li = legend.querySelector(`[data-legend="${k}"]`);
        if (li) li.setAttribute("data-used", "");
      }
    }
    usedFrom = ex.length;
  }

  function buildTools(box) {
    const zoom = h("div", { class: "dg-group", role: "group", "aria-label": tr(t, "diagram.zoom.label") }, box);
    const zb = (txt, key, fn) => {
      const b = h("button", { type: "button", class: "dg-btn", "aria-label": tr(t, key), title: tr(t, key) }, zoom, txt);
      b.addEventListener("click", fn);
    };
    const stepZoom = (d) => {
      const cur = diagram.zoom;
      if (zoomIndex < 0) zoomIndex = ZOOMS.reduce((best, z, k) => (Math.abs(z - cur) < Math.abs(ZOOMS[best] - cur) ? k : best), 0);
      zoomIndex = Math.max(0, Math.min(ZOOMS.length - 1, zoomIndex + d));
      diagram.setZoom(ZOOMS[zoomIndex]);
    };
    zb("−", "diagram.zoom.out", () => stepZoom(-1));
    zb("↔", "diagram.zoom.fit", () => { zoomIndex = -1; diagram.setZoom("fit"); });
    zb("+", "diagram.zoom.in", () => stepZoom(+1));

    if (files) buildFileMenu(box);
    const keys = h("details", { class: "dg-menu dg-keys" }, box);
    h("summary", { "aria-label": tr(t, "diagram.keys.title"), title: tr(t, "diagram.keys.title") }, keys, "⌨");
    const kl = h("div", {}, keys);
    const ul = h("ul", {}, kl);
    for (const k of ["space", "arrows", "home_end", "speed", "tcp", "rows"]) h("li", {}, ul, tr(t, `diagram.keys.${k}`));
  }

  function buildFileMenu(box) {
    const save = h("details", { class: "dg-menu" }, box);
    h("summary", {}, save, tr(t, "diagram.export.menu"));
    const list = h("div", {}, save);
    for (const kind of Object.keys(FORMATS)) {
      const b = h("button", { type: "button", class: "dg-btn" }, list, tr(t, `diagram.export.${kind}`));
      b.addEventListener("click", () => { api.exportAs(kind); save.open = false; });
    }
    const open = h("label", { class: "dg-btn dg-file-label" }, list);
    h("span", {}, open, tr(t, "diagram.import.button"));
    const file = h("input", { type: "file", class: "dg-file", accept: ".json,application/json" }, open);
    file.addEventListener("change", async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      try {
        api.importJSON(await f.text());
        status.textContent = tr(t, "diagram.import.done", { n: timeline.length, name: f.name });
      } catch (e) {
        status.textContent = e.message;
      }
      file.value = "";
      save.open = false;
    });
  }

  function fileName(ext) {
    const m = timeline.meta || {};
    const base = [normaliseProtocol(m.protocol) || "smtp", m.session || new Date().toISOString().slice(0, 19)]
      .join("-").replace(/[^A-Za-z0-9._-]+/g, "-");
    return `mailsim-${base}.${ext}`;
  }

  const api = {
    get timeline() { return timeline; },
    diagram,
    player,
    /** Live: appends one `exchange` event and plays it as it comes (follow mode). */
    addExchange(ex) {
      timeline.add(ex);
      markUsed();
      player.follow(true);
      player.refresh();
    },
    /** Shows another timeline; opts.at "start" (default) or "end", opts.play. */
    load(tl, opts = {}) {
      timeline = tl instanceof Timeline ? tl : Timeline.fromJSON(tl);
      player.follow(false);
      player.setTimeline(timeline);
      legendFor = null; // a new session: its own entries
      buildLegend(legend);
      if (opts.at === "end") player.seek(timeline.length);
      if (opts.play) player.play();
      status.textContent = "";
      live.textContent = "";
    },
    clear() {
      api.load(new Timeline({ ...(timeline.meta || {}) }));
    },
    setTcpDetail(on) { diagram.setTcpDetail(on); },
    /** The protocol catalogue's {code: class}: arrows and legend take their colours from it. */
    setClasses(map) {
      classes = map || null;
      diagram.setClasses(classes);
      buildLegend(legend);
    },
    /** Downloads the session as text, json, svg or mermaid; returns the file's text. */
    exportAs(kind) {
      const f = FORMATS[kind];
      if (!f) throw new Error(tr(t, "diagram.export.unknown", { kind }));
      const text = kind === "text" ? toText(timeline)
        : kind === "json" ? toJSON(timeline)
        : kind === "svg" ? toSVG(diagram, { title: title || tr(t, "diagram.aria.region") })
        : toMermaid(timeline, t);
      download(fileName(f.ext), f.mime, text);
      return text;
    },
    /** Loads a transcript file's text (shown whole); throws an Error with a translated message. */
    importJSON(text) {
      let tl;
      try {
        tl = fromJSONText(text);
      } catch (e) {
        const err = new Error(e.key ? tr(t, e.key, e.params) : String(e.message || e));
        err.key = e.key;
        throw err;
      }
      api.load(tl, { at: "end" });
      return tl;
    },
    destroy() {
      player.destroy();
      diagram.destroy();
      root.replaceChildren();
      root.classList.remove("mailsim-sv");
    },
  };
  player.setTimeline(timeline);
  return api;
}
