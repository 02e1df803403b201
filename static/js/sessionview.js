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
import { Timeline, tr } from "./timeline.js";
import { createDiagram, narrate, hourglass } from "./diagram.js";
import { createPlayer } from "./player.js";
import { toText, toJSON, toMermaid, toSVG, fromJSONText, download } from "./export.js";

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
 * timeline's metadata).
 */
export function createSessionView(root, { t, onSelect, title, lang, keyboard = true, tools = true, files = false,
  meta } = {}) {
  lang = lang || document.documentElement.lang || "en";
  root.classList.add("mailsim-sv");
  root.replaceChildren();
  const bar = h("div", { class: "dg-toolbar dg-controls" }, root);
  const controls = h("div", { class: "dg-controls dg-player" }, bar);
  const region = h("div", { class: "dg-region", role: "region", tabindex: "0",
    "aria-label": title || tr(t, "diagram.aria.region") }, root);
  buildLegend(h("ul", { class: "dg-legend", "aria-label": tr(t, "diagram.legend.title") }, root));
  const status = h("p", { class: "dg-status", role: "status" }, root);
  const live = h("div", { class: "dg-sr-only", "aria-live": "polite", "aria-atomic": "true" }, root);

  let timeline = new Timeline(meta || {});
  let player = null;
  const diagram = createDiagram(region, {
    t, lang,
    onSelect: (ex, i) => { if (onSelect) onSelect(ex, i); },
    onTcpDetail: (on) => { if (player) player.syncTcpDetail(on); },
  });
  player = createPlayer({
    timeline, diagram, controls, t, lang, keyboard,
    onArrive: (ex, i) => { live.textContent = narrate(ex, t, lang, timeline.exchanges, i); },
  });
  let zoomIndex = -1; // -1: fit the width
  if (tools) buildTools(h("div", { class: "dg-controls dg-tools" }, bar));

  function buildLegend(ul) {
    const items = [
      ["dg-l2", "✔", "2yz", "diagram.class.2"],
      ["dg-l3", "➜", "3yz", "diagram.class.3"],
      ["dg-l4", "⟳", "4yz", "diagram.class.4"],
      ["dg-l5", "✖", "5yz", "diagram.class.5"],
      ["dg-lf", "⚡", null, "diagram.legend.fault"],
      ["dg-ld", "◷", null, "diagram.legend.delay"],
      ["dg-ls", null, null, "diagram.legend.silence"], // an hourglass, drawn
      ["dg-lt", "⇄", null, "diagram.legend.tcp"],
    ];
    for (const [cls, sym, code, key] of items) {
      const li = h("li", { class: cls }, ul);
      const s = h("span", { class: "dg-sym", "aria-hidden": "true" }, li, sym || undefined);
      if (!sym) {
        const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        for (const [k, v] of Object.entries({ viewBox: "-7 -10 14 20", width: "0.75em", height: "1.1em", focusable: "false" })) icon.setAttribute(k, v);
        icon.classList.add("dg-legend-icon");
        hourglass(icon, 0, 0);
        s.appendChild(icon);
      }
      if (code) h("b", {}, li, code);
      h("span", {}, li, tr(t, key));
    }
    return ul;
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
    const base = [m.protocol || "smtp", m.session || new Date().toISOString().slice(0, 19)]
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
      player.follow(true);
      player.refresh();
    },
    /** Shows another timeline; opts.at "start" (default) or "end", opts.play. */
    load(tl, opts = {}) {
      timeline = tl instanceof Timeline ? tl : Timeline.fromJSON(tl);
      player.follow(false);
      player.setTimeline(timeline);
      if (opts.at === "end") player.seek(timeline.length);
      if (opts.play) player.play();
      status.textContent = "";
      live.textContent = "";
    },
    clear() {
      api.load(new Timeline({ ...(timeline.meta || {}) }));
    },
    setTcpDetail(on) { diagram.setTcpDetail(on); },
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
