/**
 * dom.js: build page elements without HTML strings.
 *
 * Everything a learner or a server typed reaches the page as text nodes
 * (`textContent`), never as markup, so `<img onerror=...>` typed as a command
 * shows as the characters it is.
 */

/**
 * `el("button", {class: "btn", type: "button", onclick: fn}, "Text", child)`.
 * Attributes: `class`, `dataset` (object), `on<event>` (listener), booleans
 * (true sets an empty attribute, false/null/undefined leaves it out), others
 * as strings. Children: nodes, strings (as text), arrays, null (skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in node) {
      node.value = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

/** Append children (nodes, strings as text, nested arrays; null skipped). */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace all of a node's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Say `text` to screen-reader users through an aria-live region. */
export function announce(region, text) {
  if (!region) return;
  // Clearing first makes a repeated message be announced again.
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 30);
}

/** True when keyboard focus is in something that takes typing. */
export function isTyping(target) {
  const node = target || document.activeElement;
  if (!node) return false;
  const tag = node.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || node.isContentEditable;
}

/** Keys are for page navigation (a lesson's steps) only when focus is not somewhere that uses them. */
export function keyIsFree(target) {
  if (!target || !target.tagName) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || tag === "IFRAME" || target.isContentEditable) return false;
  if (tag === "INPUT") return false; // text fields, radios, checkboxes: all use the arrows
  if (target.closest && target.closest("[role=radiogroup], [role=tablist], [role=slider], [role=listbox]")) return false;
  return true;
}

/** Copy text to the clipboard; falls back to a hidden textarea where the API is missing. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = el("textarea", { readonly: true, "aria-hidden": "true", class: "offscreen" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Saves `text` as a file named `filename` (a Blob and a temporary link). */
export function download(filename, mime, text) {
  const blob = new Blob([text], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
