/**
 * i18n.js: the page's strings in the learner's language.
 *
 * The server embeds every UI string of the current language as JSON in
 * <script type="application/json" id="i18n"> and sets <html lang>. `t(key,
 * params)` looks a key up and fills `{name}` placeholders, as the Jinja `t()`
 * does on the server, so a string reads the same wherever it is rendered.
 * Catalogue entries carry both languages ({en, ru}); `pick()` chooses one.
 */

function readStrings() {
  const node = document.getElementById("i18n");
  if (!node) return {};
  try {
    return JSON.parse(node.textContent || "{}");
  } catch {
    return {};
  }
}

const strings = readStrings();

/** The page's language: "en" or "ru". */
export const lang = (document.documentElement.lang || "en").slice(0, 2);

/** Fill `{name}` placeholders from `params`; unknown placeholders stay visible. */
export function format(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/**
 * The string for `key` in the page's language. A missing key shows itself
 * (and warns once) rather than disappearing, so a gap is seen and fixed.
 */
const warned = new Set();
export function t(key, params) {
  const text = strings[key];
  if (typeof text !== "string") {
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`i18n: missing key ${key}`);
    }
    return format(key, params);
  }
  return format(text, params);
}

/** True when `key` has a string in this language. */
export function has(key) {
  return typeof strings[key] === "string";
}

/**
 * One language out of a catalogue value: `{en, ru}` gives the page's language
 * (English when that one is missing); a plain string is returned as is.
 */
export function pick(value) {
  if (value == null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return value[lang] ?? value.en ?? "";
  return String(value);
}
