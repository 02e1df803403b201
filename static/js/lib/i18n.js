/**
 * i18n.js: the page's strings in the learner's language, and the one place
 * where counted and numeric text is made.
 *
 * The server sets <html lang> and links the merged catalogue of that language
 * as a cacheable file (templates/base.html: <link rel="preload" as="fetch"
 * id="i18n-catalogue" href="/i18n/<lang>.<hash>.json">). This module fetches
 * it with a top-level await, so every module importing it runs once the
 * strings are here. Without a document (Node tests) the catalogue is empty
 * until `useCatalogue(strings, lang)` gives one.
 *
 * `t(key, params)` looks a key up and fills `{name}` placeholders, as the
 * Jinja `t()` does on the server (simulator/i18n), so a string reads the same
 * wherever it is rendered:
 *  - a value may be a plural object keyed by CLDR categories ({one, few, many,
 *    other} in Russian, {one, other} in English); the count is `params.n`, or
 *    the parameter its `_count` names, and `Intl.PluralRules` picks the form
 *    (`"_type": "ordinal"` for 1st, 2nd, 3rd);
 *  - numbers in params are written the language's way (`Intl.NumberFormat`:
 *    "1,5" in Russian), except identifiers such as `uid` or `port`.
 * Catalogue entries carry both languages ({en, ru}); `pick()` chooses one.
 */

/** Plural objects' own fields, not forms. */
const META = new Set(["_count", "_type"]);
/** Numeric params that name rather than count: never grouped (same list in simulator/i18n). */
const IDENTIFIERS = new Set(["id", "uid", "port", "seed", "code", "digit", "fig", "version", "tag", "year"]);

const doc = globalThis.document;

/** The page's language: "en" or "ru". */
export let lang = ((doc && doc.documentElement && doc.documentElement.lang) || "en").slice(0, 2);

/** The page's catalogue: linked by base.html (or embedded in <script type="application/json" id="i18n">). */
async function loadCatalogue() {
  if (!doc || typeof doc.getElementById !== "function") return {};
  const embedded = doc.getElementById("i18n");
  if (embedded) {
    try {
      return JSON.parse(embedded.textContent || "{}");
    } catch {
      return {};
    }
  }
  const link = doc.getElementById("i18n-catalogue");
  if (!link || !link.href) return {};
  try {
    // The same request as the preload (mode cors, same-origin credentials), so the browser reuses it.
    const resp = await fetch(link.href, { credentials: "same-origin" });
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    return await resp.json();
  } catch (err) {
    console.warn(`i18n: the strings could not be loaded (${err && err.message ? err.message : err})`);
    return {};
  }
}

let strings = await loadCatalogue();

// ---------------------------------------------------------------- numbers and plural forms

const tools = new Map();
function toolsFor(language) {
  let found = tools.get(language);
  if (!found) {
    const make = (Make, options) => {
      try {
        return new Make(language, options);
      } catch {
        return new Make("en", options);
      }
    };
    found = {
      number: make(Intl.NumberFormat),
      cardinal: make(Intl.PluralRules),
      ordinal: make(Intl.PluralRules, { type: "ordinal" }),
    };
    tools.set(language, found);
  }
  return found;
}

function asNumber(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** `x` written the way `language` writes numbers: "1,5" and "1 500" in Russian, "1.5" and "1,500" in English. */
export function formatNumber(x, language = lang) {
  return typeof x === "number" && Number.isFinite(x) ? toolsFor(language).number.format(x) : String(x);
}

/** The CLDR plural category of `n` ("one", "few", "many", "other"...); "other" when `n` is no number. */
export function pluralCategory(n, language = lang, ordinal = false) {
  const x = asNumber(n);
  if (x === null) return "other";
  const rules = toolsFor(language);
  return (ordinal ? rules.ordinal : rules.cardinal).select(Math.abs(x));
}

/** The string of a catalogue value: itself, or the form its count asks for. */
function formOf(value, params, language) {
  if (typeof value === "string") return value;
  const category = pluralCategory(params ? params[value._count || "n"] : undefined, language, value._type === "ordinal");
  if (typeof value[category] === "string") return value[category];
  if (typeof value.other === "string") return value.other;
  const first = Object.keys(value).find((k) => !META.has(k) && typeof value[k] === "string");
  return first ? value[first] : "";
}

function fill(text, params, language) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) return whole;
    const value = params[name];
    return typeof value === "number" && !IDENTIFIERS.has(name) ? formatNumber(value, language) : String(value);
  });
}

/** Fill `{name}` placeholders from `params` (numbers in the page's format); unknown placeholders stay visible. */
export function format(text, params) {
  return fill(text, params, lang);
}

const isEntry = (value) => typeof value === "string" || (value !== null && typeof value === "object" && !Array.isArray(value));

/**
 * A `t(key, params)` for a catalogue and a language (Node tests, harness pages;
 * the page's own `t` below is one). A missing key gives the key itself, filled,
 * and `onMissing(key)` is told.
 */
export function translator(catalogue, language, onMissing) {
  const lookup = catalogue || {};
  const code = String(language || "en").slice(0, 2);
  return (key, params) => {
    const value = lookup[key];
    if (!isEntry(value)) {
      if (onMissing) onMissing(key);
      return fill(key, params, code);
    }
    return fill(formOf(value, params, code), params, code);
  };
}

const warned = new Set();
function warnMissing(key) {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`i18n: missing key ${key}`);
}

let current = translator(strings, lang, warnMissing);

/** Use `catalogue` (and `language`) as the page's strings: for tests and pages without base.html. */
export function useCatalogue(catalogue, language = lang) {
  strings = catalogue || {};
  lang = String(language || "en").slice(0, 2);
  current = translator(strings, lang, warnMissing);
}

/**
 * The string for `key` in the page's language, its plural form chosen by
 * `params.n` (or the object's `_count`). A missing key shows itself (and warns
 * once) rather than disappearing, so a gap is seen and fixed.
 */
export function t(key, params) {
  return current(key, params);
}

/** True when `key` has a string (or plural forms) in this language. */
export function has(key) {
  return isEntry(strings[key]);
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
