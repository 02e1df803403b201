/**
 * player.js: plays a Timeline through a diagram, in time.
 *
 * The position is a float in exchange units (see diagram.js). While playing,
 * requestAnimationFrame advances it at speed × one exchange per 700 ms; a
 * frame costs one diagram.render() (which moves at most one arrow), so the
 * player stays cheap at 8x. In follow mode (live sessions) exchanges that
 * arrive are played as they come, and a backlog is caught up faster.
 *
 * Controls are built here with createElement and textContent: restart, step
 * back, play/pause, step forward, speed, a scrub range (one step per
 * exchange), a readout and a TCP-detail toggle. Document shortcuts: Space,
 * ←/→, Home, End, +/-, T (ignored while typing in a field).
 */
import { tr } from "../core/timeline.js";

export const SPEEDS = [0.5, 1, 2, 4, 8];
export const MS_PER_EXCHANGE = 700;
const SVGNS = "http://www.w3.org/2000/svg";
const ICONS = {
  restart: "M5 5h2.5v14H5z M19 5v14L8.5 12z",
  back: "M17.5 5h2.5v14h-2.5z M16 5v14L5 12z",
  play: "M7 4.5v15L19.5 12z",
  pause: "M6.5 5h4v14h-4z M13.5 5h4v14h-4z",
  forward: "M4 5h2.5v14H4z M8 5v14l11-7z",
};

function icon(name) {
  const s = document.createElementNS(SVGNS, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("width", "20");
  s.setAttribute("height", "20");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  s.style.verticalAlign = "-0.25em";
  const p = document.createElementNS(SVGNS, "path");
  p.setAttribute("d", ICONS[name]);
  p.setAttribute("fill", "currentColor");
  s.appendChild(p);
  return s;
}

function isTyping(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
}

/**
 * Options: timeline, diagram, controls (element to fill), t, onPosition(pos),
 * onArrive(exchange, index) (each exchange that lands while playing or
 * stepping, for narration), keyboard (default true), lang.
 */
export function createPlayer({ timeline, diagram, controls, t, onPosition, onArrive, keyboard = true, lang } = {}) {
  lang = lang || (typeof document !== "undefined" && document.documentElement.lang) || "en";
  let tl = timeline;
  let pos = 0, speed = 1, playing = false, target = null, following = false, userPaused = false;
  let catchUp = false; // live arrivals found the player at the end: play a backlog faster
  let raf = 0, last = 0, shownInt = -1, shownN = -1;
  const ui = controls ? buildControls(controls) : null;

  function buildControls(root) {
    root.classList.add("dg-controls");
    root.replaceChildren();
    const mk = (tag, attrs, parent) => {
      const e = document.createElement(tag);
      for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
      if (parent) parent.appendChild(e);
      return e;
    };
    const button = (name, key, parent, extra) => {
      const b = mk("button", { type: "button", class: `dg-btn dg-btn-${name}`, "aria-label": tr(t, key),
        title: tr(t, key), ...(extra || {}) }, parent);
      b.appendChild(icon(name));
      return b;
    };
    const group = mk("div", { class: "dg-group", role: "group", "aria-label": tr(t, "diagram.player.controls") }, root);
    const restartB = button("restart", "diagram.player.restart", group);
    const backB = button("back", "diagram.player.step_back", group);
    const playB = mk("button", { type: "button", class: "dg-btn dg-btn-play" }, group);
    const fwdB = button("forward", "diagram.player.step_forward", group);
    const speedWrap = mk("label", { class: "dg-group" }, root);
    const speedText = mk("span", {}, speedWrap);
    speedText.textContent = tr(t, "diagram.player.speed");
    const speedSel = mk("select", { class: "dg-select" }, speedWrap);
    for (const s of SPEEDS) {
      const o = mk("option", { value: String(s) }, speedSel);
      o.textContent = tr(t, "diagram.player.speed_x", { x: s.toLocaleString(lang) });
    }
    const range = mk("input", { type: "range", class: "dg-range", min: "0", max: "0", step: "1", value: "0",
      "aria-label": tr(t, "diagram.player.position") }, root);
    const readout = mk("span", { class: "dg-readout" }, root);
    const tcpB = mk("button", { type: "button", class: "dg-btn dg-btn-tcp", "aria-pressed": "false",
      title: tr(t, "diagram.player.tcp_hint") }, root);
    tcpB.textContent = tr(t, "diagram.player.tcp");

    restartB.addEventListener("click", () => api.restart());
    backB.addEventListener("click", () => api.step(-1));
    fwdB.addEventListener("click", () => api.step(+1));
    playB.addEventListener("click", () => api.toggle());
    speedSel.addEventListener("change", () => api.setSpeed(Number(speedSel.value)));
    range.addEventListener("input", () => api.seek(Number(range.value)));
    tcpB.addEventListener("click", () => diagram && diagram.setTcpDetail(!diagram.tcpDetail));
    speedSel.value = "1";
    return { root, playB, range, readout, tcpB, speedSel, restartB, backB, fwdB };
  }

  /** Something is moving or about to: a live session waiting at its end is not (the button says Play). */
  function moving() {
    return target !== null || (playing && pos < (tl ? tl.length : 0) - 1e-9);
  }

  function showPlayState() {
    if (!ui) return;
    const active = moving();
    const key = active ? "diagram.player.pause" : "diagram.player.play";
    ui.playB.replaceChildren(icon(active ? "pause" : "play"));
    const span = document.createElement("span");
    span.textContent = " " + tr(t, key);
    ui.playB.appendChild(span);
    ui.playB.setAttribute("aria-label", tr(t, key));
  }

  function showPosition(force) {
    if (!ui) return;
    const n = tl ? tl.length : 0;
    const at = Math.ceil(pos - 1e-9);
    if (!force && at === shownInt && n === shownN) return;
    shownInt = at; shownN = n;
    const text = tr(t, "diagram.player.readout", { i: at, n });
    ui.readout.textContent = text;
    ui.range.max = String(n);
    ui.range.value = String(Math.floor(pos + 1e-9));
    ui.range.setAttribute("aria-valuetext", text);
    ui.backB.disabled = pos <= 0;
    ui.fwdB.disabled = pos >= n;
  }

  function setPos(p, announce) {
    const n = tl ? tl.length : 0;
    const old = pos;
    pos = Math.max(0, Math.min(n, p));
    if (diagram && tl) diagram.render(tl, pos);
    if (announce && onArrive && pos > old) {
      const from = Math.floor(old + 1e-9), to = Math.floor(pos + 1e-9);
      for (let i = from; i < to && i < n; i++) onArrive(tl.exchanges[i], i);
    }
    showPosition(false);
    if (onPosition) onPosition(pos);
  }

  function loop(ts) {
    raf = 0;
    const n = tl ? tl.length : 0;
    const end = target !== null ? target : n;
    const dt = last ? Math.min(250, ts - last) : 16;
    last = ts;
    let eff = speed;
    if (following && catchUp && target === null) {
      const backlog = n - pos;
      if (backlog > 6) eff *= backlog / 6; // catch up with a live session
    }
    const next = Math.min(end, pos + (dt * eff) / MS_PER_EXCHANGE);
    setPos(next, true);
    if (pos >= end - 1e-9) {
      if (target !== null) {
        target = null;
      } else if (!following) {
        playing = false;
      }
      showPlayState();
      if (!(playing && pos < (tl ? tl.length : 0))) return; // idle until play() or refresh()
    }
    kick();
  }

  function kick() {
    if (raf || typeof requestAnimationFrame !== "function") return;
    const n = tl ? tl.length : 0;
    const end = target !== null ? target : n;
    if (!(playing || target !== null) || pos >= end) return;
    last = 0;
    raf = requestAnimationFrame(loop);
  }

  function stop() {
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    playing = false;
    target = null;
  }

  const reducedMotion = () => typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;

  const api = {
    play(again = true) {
      const n = tl ? tl.length : 0;
      userPaused = false;
      if (!n) return;
      if (again && pos >= n - 1e-9) setPos(0, false); // at the end, Play plays it again (live or not)
      target = null;
      playing = true;
      showPlayState();
      kick();
    },
    pause() {
      userPaused = true;
      stop();
      showPlayState();
    },
    toggle() {
      if (moving()) api.pause();
      else api.play();
    },
    /** +1: animate the next exchange onto the diagram; -1: take the last one off. */
    step(dir) {
      const n = tl ? tl.length : 0;
      userPaused = true;
      if (dir > 0) {
        const base = target !== null ? target : Math.floor(pos + 1e-9);
        const goal = Math.min(n, base + 1);
        playing = false;
        if (reducedMotion()) {
          target = null;
          setPos(goal, true);
        } else {
          target = goal;
          kick();
        }
      } else {
        stop();
        setPos(Math.ceil(pos - 1e-9) - 1, false);
      }
      showPlayState();
    },
    restart() {
      stop();
      catchUp = false;
      setPos(0, false);
      api.play();
    },
    seek(index) {
      const n = tl ? tl.length : 0;
      stop();
      catchUp = index >= n;
      userPaused = index < n;
      setPos(Math.round(index), false);
      showPlayState();
    },
    setSpeed(x) {
      const s = Number(x);
      speed = SPEEDS.includes(s) ? s : SPEEDS.reduce((a, b) => (Math.abs(b - s) < Math.abs(a - s) ? b : a));
      if (ui) ui.speedSel.value = String(speed);
    },
    get speed() { return speed; },
    get position() { return pos; },
    /** Whether an exchange is moving (a live session waiting at its end is not playing). */
    get playing() { return moving(); },
    /** Live mode: exchanges that arrive are played as they come (unless the learner paused). */
    follow(on) {
      following = !!on;
      if (following && !userPaused) api.play(false);
    },
    /** Call after the timeline grew (or was replaced via setTimeline). */
    refresh() {
      if (pos >= shownN - 1e-9) catchUp = true; // it was waiting at the end
      showPosition(true);
      if (diagram && tl) diagram.render(tl, pos);
      if (following && !userPaused && tl && pos < tl.length) {
        playing = true;
        showPlayState();
        kick();
      }
    },
    setTimeline(timeline) {
      stop();
      catchUp = false;
      tl = timeline;
      pos = 0;
      shownInt = -1;
      setPos(0, false);
      showPlayState();
      showPosition(true);
    },
    syncTcpDetail(on) {
      if (ui) ui.tcpB.setAttribute("aria-pressed", on ? "true" : "false");
    },
    destroy() {
      stop();
      if (keyboard && typeof document !== "undefined") document.removeEventListener("keydown", onKey);
      if (ui) ui.root.replaceChildren();
    },
  };

  function onKey(ev) {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const tgt = ev.target;
    if (isTyping(tgt)) return;
    const onButton = tgt && tgt.closest && tgt.closest("button, summary, a, [role=button]");
    const k = ev.key;
    if (k === " " || k === "Spacebar") {
      if (onButton) return; // the focused button takes Space itself
      api.toggle();
    } else if (k === "ArrowRight") api.step(+1);
    else if (k === "ArrowLeft") api.step(-1);
    else if (k === "Home") api.restart();
    else if (k === "End") api.seek(tl ? tl.length : 0);
    else if (k === "+" || k === "=") api.setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(speed) + 1)]);
    else if (k === "-" || k === "_") api.setSpeed(SPEEDS[Math.max(0, SPEEDS.indexOf(speed) - 1)]);
    else if (k === "t" || k === "T" || k === "е" || k === "Е") {
      if (diagram) diagram.setTcpDetail(!diagram.tcpDetail);
    } else return;
    ev.preventDefault();
  }
  if (keyboard && typeof document !== "undefined") document.addEventListener("keydown", onKey);

  showPlayState();
  setPos(0, false);
  showPosition(true);
  if (diagram) api.syncTcpDetail(diagram.tcpDetail);
  return api;
}
