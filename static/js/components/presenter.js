/**
 * presenter.js: the mode a teacher projects.
 *
 * Large type, a high-contrast theme, full screen where the browser allows
 * it, and only the diagram and its explanation on screen. The key P (outside
 * text fields) or the button turns it on and off; Esc leaves. The player's
 * own shortcuts keep working, so the whole lesson is driven from the keyboard.
 */
import { isTyping } from "../lib/dom.js";
import { t } from "../lib/i18n.js";

/**
 * The diagram's scale in presenter mode: 1 on a 1366 x 768 screen, 1.4 on
 * 1920 x 1080 (the smaller of the two ratios), as app.css scales the page's
 * type; at that scale the drawing's smallest text is 20 units (diagram.css).
 */
export function presenterScale() {
  return Math.max(0.75, Math.min(window.innerWidth / 1366, window.innerHeight / 768));
}

/**
 * Options: button (toggles, labelled), focusTarget() (what gets the keyboard),
 * onChange(active, scale) (on entering and leaving, and when the window's
 * size changes while active: the page lays its diagram out again).
 */
export function createPresenter({ button, focusTarget, onChange }) {
  let active = false;
  let wentFullscreen = false;

  function label() {
    if (!button) return;
    button.setAttribute("aria-pressed", String(active));
    const text = button.querySelector("[data-part=label]") || button;
    text.textContent = active ? t("ui.presenter.leave") : t("ui.presenter.enter");
  }

  async function enter() {
    if (active) return;
    active = true;
    document.body.classList.add("presenter");
    document.documentElement.classList.add("presenting");
    sizeType();
    label();
    wentFullscreen = false;
    const root = document.documentElement;
    if (root.requestFullscreen && document.fullscreenEnabled && !document.fullscreenElement) {
      try {
        await root.requestFullscreen({ navigationUI: "hide" });
        wentFullscreen = true;
      } catch {
        // Not allowed here (an iframe, a test browser): presenter mode works without it.
      }
    }
    if (onChange) onChange(true, presenterScale());
    const target = focusTarget && focusTarget();
    if (target) target.focus({ preventScroll: true });
  }

  function exit() {
    if (!active) return;
    active = false;
    document.body.classList.remove("presenter");
    document.documentElement.classList.remove("presenting");
    document.documentElement.style.removeProperty("font-size");
    label();
    if (wentFullscreen && document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(() => {});
    }
    wentFullscreen = false;
    if (button) button.focus({ preventScroll: true });
    if (onChange) onChange(false, 1);
  }

  function toggle() {
    if (active) exit();
    else enter();
  }

  if (button) button.addEventListener("click", toggle);

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if ((event.key === "p" || event.key === "P" || event.key === "з" || event.key === "З") && !isTyping(event.target)) {
      event.preventDefault();
      toggle();
    } else if (event.key === "Escape" && active) {
      event.preventDefault();
      exit();
    }
  });

  // Esc in full screen is taken by the browser: leaving full screen leaves the mode too.
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && active && wentFullscreen) {
      wentFullscreen = false;
      exit();
    }
  });

  /* The page's type grows with the screen like the diagram: 20 px at 1366 x 768, 28 at 1920 x 1080. */
  function sizeType() {
    document.documentElement.style.fontSize = `${(20 * presenterScale()).toFixed(2)}px`;
  }

  let pending = 0;
  window.addEventListener("resize", () => {
    if (!active || pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      if (!active) return;
      sizeType();
      if (onChange) onChange(true, presenterScale());
    });
  });

  label();
  return { enter, exit, toggle, isActive: () => active };
}
