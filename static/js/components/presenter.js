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
    if (focusTarget) focusTarget().focus({ preventScroll: true });
    if (onChange) onChange(true);
  }

  function exit() {
    if (!active) return;
    active = false;
    document.body.classList.remove("presenter");
    label();
    if (wentFullscreen && document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(() => {});
    }
    wentFullscreen = false;
    if (button) button.focus({ preventScroll: true });
    if (onChange) onChange(false);
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

  label();
  return { enter, exit, toggle, isActive: () => active };
}
