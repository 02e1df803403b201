/**
 * mailmessage.js: the mailbox viewer's message pane, its four tabs as nodes.
 *
 * "Message" shows what a mail client would (the fields that matter, the best
 * text part, attachments, forwarded messages, what is wrong); "MIME
 * structure" the tree of parts, each explained from lecture section 6;
 * "Headers" every field as sent and decoded (RFC 2047 encoded words);
 * "Source" the raw message. Every piece of the message is a text node (dom.js
 * `el`); an HTML body is source text, or an <iframe sandbox=""> whose srcdoc
 * starts with a CSP that lets nothing load.
 *
 * `renderTab(name, message, context)` builds one tab; `context` gives the
 * page's download URLs (`partUrl(path)`, `rawUrl(download)`), its
 * `downloadLink(href, label, attrs)` and whether a raw text tab may open.
 */
import { t, lang, has } from "../lib/i18n.js";
import { el } from "../lib/dom.js";

const IFRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
let ctx = null; // the context of the tab being built

// ---------------------------------------------------------------- formatting (also used by mail.js)

const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
export const numberFormat = new Intl.NumberFormat(lang);

/** `key`'s plural form for `n` (lib/i18n.js picks it and writes n the language's way). */
export function counted(key, n) {
  return t(key, { n });
}

export function when(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

export function bytes(n) {
  return typeof n === "number" ? counted("mail.bytes", n) : "";
}

// ---------------------------------------------------------------- the message: shared pieces

const TOP_FIELDS = ["from", "to", "cc", "reply-to", "date", "subject"];

function headerValue(headers, name) {
  const found = headers.find((h) => h.name.toLowerCase() === name);
  return found ? found.decoded : null;
}

function keyFields(headers) {
  const rows = [];
  for (const name of TOP_FIELDS) {
    const value = headerValue(headers, name);
    if (value === null) continue;
    rows.push(el("dt", {}, t(`mail.field.${name}`)), el("dd", { class: name === "subject" ? "field-subject" : null }, value));
  }
  return el("dl", { class: "key-fields" }, rows);
}

function walk(node, visit, parent = null) {
  visit(node, parent);
  for (const child of node.children || []) walk(child, visit, node);
}

/**
 * The text a mail client would show: text/plain preferred, else text/html,
 * not inside forwarded messages; parts that are not attachments first, else
 * (a message that is only a named text file) the attached text itself.
 */
function bestText(root) {
  const find = (attachments) => {
    let plain = null;
    let html = null;
    const search = (node) => {
      if (node.content_type === "message/rfc822" && node !== root) return;
      if (!node.children.length && node.text !== null && node.is_attachment === attachments) {
        if (node.content_type === "text/plain" && !plain) plain = node;
        else if (node.content_type === "text/html" && !html) html = node;
      }
      node.children.forEach(search);
    };
    search(root);
    return { plain, html };
  };
  const inline = find(false);
  return inline.plain || inline.html ? inline : find(true);
}

/** Where a node's content downloads: its part; the whole message (.eml) for a multipart root; "1" for a single-part body. */
function nodeUrl(node) {
  if (node.path) return ctx.partUrl(node.path);
  return node.children.length ? ctx.rawUrl(true) : ctx.partUrl("1");
}

function sandboxed(html) {
  const frame = el("iframe", {
    sandbox: "",
    referrerpolicy: "no-referrer",
    class: "html-frame",
    title: t("mail.html.frame_title"),
  });
  // srcdoc is a property here, not markup of this page: the HTML lives in an opaque, script-less document.
  frame.srcdoc = `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${IFRAME_CSP}">${html}`;
  return frame;
}

function htmlBody(node, startRendered = false) {
  const box = el("div", { class: "html-body" });
  let rendered = startRendered;
  const toggle = el("button", { type: "button", class: "btn btn-small" });
  const note = el("p", { class: "hint" });
  const show = () => {
    toggle.textContent = t(rendered ? "mail.html.show_source" : "mail.html.show_rendered");
    note.textContent = t(rendered ? "mail.html.rendered_note" : "mail.html.source_note");
    const view = rendered ? sandboxed(node.text) : el("pre", { class: "mail-body-text", tabindex: "0", "aria-label": t("mail.html.source_label") }, node.text);
    box.replaceChildren(view);
  };
  toggle.addEventListener("click", () => {
    rendered = !rendered;
    show();
  });
  show();
  return el("div", {}, el("div", { class: "html-tools" }, toggle, note), box);
}

function bodyOf(root) {
  const { plain, html } = bestText(root);
  const out = [];
  if (plain) {
    out.push(el("pre", { class: "mail-body-text", tabindex: "0", "aria-label": t("mail.body_label") }, plain.text));
    if (plain.truncated) out.push(el("p", { class: "hint" }, t("mail.text_truncated")));
    if (html) {
      out.push(el("details", { class: "alt-html" }, el("summary", {}, t("mail.html.also", { path: html.path })), htmlBody(html)));
    }
  } else if (html) {
    out.push(el("p", { class: "hint" }, t("mail.html.only")));
    out.push(htmlBody(html));
    if (html.truncated) out.push(el("p", { class: "hint" }, t("mail.text_truncated")));
  } else {
    out.push(el("p", { class: "muted" }, t("mail.no_text")));
  }
  return out;
}

function attachments(root) {
  const found = [];
  walk(root, (node) => {
    if (node.is_attachment) found.push(node);
  });
  if (!found.length) return null;
  return el("section", { class: "mail-attachments", "aria-labelledby": "attachments-title" },
    el("h3", { id: "attachments-title" }, counted("mail.attachments", found.length)),
    el("ul", {}, found.map((node) => el("li", {},
      ctx.downloadLink(nodeUrl(node), node.filename || t("mail.part_n", { path: node.path || "1" })),
      el("span", { class: "muted" }, ` ${node.content_type}, ${bytes(node.decoded_size)}`)))));
}

function forwarded(root) {
  const out = [];
  walk(root, (node) => {
    if (node.content_type !== "message/rfc822" || !node.children.length) return;
    const inner = node.children[0];
    out.push(el("section", { class: "mail-forwarded" },
      el("h3", {}, t("mail.forwarded", { path: node.path })),
      keyFields(inner.headers),
      bodyOf(inner)));
  });
  return out;
}

function problems(message) {
  const keys = Object.keys(message.problem_texts || {});
  if (!keys.length) return null;
  return el("section", { class: "mail-problems", "aria-labelledby": "problems-title" },
    el("h3", { id: "problems-title" }, t("mail.problems")),
    el("ul", {}, keys.map((key) => el("li", {}, message.problem_texts[key]))));
}

// ---------------------------------------------------------------- the four tabs

function messageTab(m) {
  const root = m.description.tree;
  const flags = m.flags.length ? m.flags.join(" ") : t("mail.flags_none");
  return [
    keyFields(m.description.headers),
    el("p", { class: "store-facts" },
      t("mail.store_facts", { uid: m.uid, when: when(m.internal_date), size: bytes(m.size) }), " ",
      el("span", { class: "imap-flags" }, t("mail.flags", { flags }))),
    problems(m),
    attachments(root),
    el("div", { class: "message-body" }, bodyOf(root)),
    forwarded(root),
  ];
}

function typeExplanation(type) {
  const exact = `mail.mime.type.${type.replace(/[^a-z0-9]+/g, "_")}`;
  if (has(exact)) return t(exact);
  const top = `mail.mime.type.${type.split("/")[0]}`;
  return has(top) ? t(top) : t("mail.mime.type.other");
}

function encodingExplanation(encoding) {
  const key = `mail.mime.enc.${encoding.replace(/[^a-z0-9]+/g, "_")}`;
  return has(key) ? t(key) : t("mail.mime.enc.other");
}

function partHeaders(headers) {
  if (!headers.length) return null;
  return el("details", { class: "part-headers" },
    el("summary", {}, counted("mail.mime.header_fields", headers.length)),
    el("pre", {}, headers.map((h) => `${h.name ? `${h.name}:` : ""} ${h.raw}\n`)));
}

function mimeNode(node, depth) {
  const leaf = !node.children.length;
  const facts = [el("span", { class: "mail-chip mail-chip-enc", title: t("mail.mime.encoding") }, node.transfer_encoding)];
  if (node.charset) facts.push(el("span", { class: "mail-chip" }, `charset=${node.charset}`));
  if (node.disposition) facts.push(el("span", { class: "mail-chip" }, node.disposition));
  if (node.filename) facts.push(el("span", { class: "mail-chip mail-chip-file" }, node.filename));
  const size = node.decoded_size !== null && node.decoded_size !== node.size
    ? t("mail.mime.sizes", { wire: bytes(node.size), decoded: bytes(node.decoded_size) })
    : bytes(node.size);
  facts.push(el("span", { class: "mime-size" }, size));
  let link;
  if (node.path) link = ctx.downloadLink(nodeUrl(node), t("mail.mime.download"), { class: "btn btn-small", "aria-label": t("mail.mime.download_part", { path: node.path }) });
  else if (leaf) link = ctx.downloadLink(nodeUrl(node), t("mail.mime.download"), { class: "btn btn-small", "aria-label": t("mail.mime.download_body") });
  else link = ctx.downloadLink(nodeUrl(node), t("mail.mime.download_eml"), { class: "btn btn-small" });
  const label = node.path ? t("mail.mime.part", { path: node.path }) : t("mail.mime.whole");
  const explain = [el("p", { class: "mime-explain" }, typeExplanation(node.content_type))];
  if (leaf) explain.push(el("p", { class: "mime-explain" }, encodingExplanation(node.transfer_encoding)));
  if (node.declared_type && node.declared_type !== node.content_type) {
    explain.push(el("p", { class: "mime-explain warn" }, t("mail.mime.declared", { declared: node.declared_type, type: node.content_type })));
  }
  const item = el("li", { class: "mime-item", "data-path": node.path, "data-type": node.content_type },
    el("div", { class: "mime-node" },
      el("div", { class: "mime-head" },
        el("span", { class: "mime-label" }, label),
        el("code", { class: "mime-type" }, node.content_type),
        link),
      el("div", { class: "mime-facts" }, facts),
      explain,
      partHeaders(node.headers)));
  if (!leaf) item.append(el("ul", { class: "mime-children" }, node.children.map((child) => mimeNode(child, depth + 1))));
  return item;
}

function mimeTab(m) {
  return [
    el("p", { class: "hint" }, t("mail.mime.intro")),
    el("ul", { class: "mime-tree", "aria-label": t("mail.tab.mime") }, mimeNode(m.description.tree, 0)),
    problems(m),
  ];
}

function headersTab(m) {
  const rows = m.description.headers.map((h) => {
    const encoded = h.raw !== h.decoded;
    return el("tr", { class: encoded ? "encoded" : null },
      el("th", { scope: "row" }, h.name || "?"),
      el("td", {}, el("code", {}, h.raw)),
      el("td", {}, encoded ? [h.decoded, " ", el("span", { class: "tag" }, t("mail.headers.decoded_tag"))] : el("span", { class: "muted" }, t("mail.headers.same"))));
  });
  return [
    el("p", { class: "hint" }, t("mail.headers.intro")),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("mail.tab.headers") },
      el("table", { class: "header-table" },
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, t("mail.headers.name")),
          el("th", { scope: "col" }, t("mail.headers.raw")),
          el("th", { scope: "col" }, t("mail.headers.decoded")))),
        el("tbody", {}, rows))),
  ];
}

function sourceTab(m) {
  return [
    el("div", { class: "mail-source-tools" },
      ctx.downloadLink(ctx.rawUrl(true), t("mail.source.download"), { class: "btn btn-small" }),
      // A new tab cannot send the teacher key: with one, the Source tab is the way to read it.
      ctx.canOpenRaw ? el("a", { href: ctx.rawUrl(false), class: "btn btn-small", target: "_blank", rel: "noopener" }, t("mail.source.open")) : null),
    m.source_truncated ? el("p", { class: "hint" }, t("mail.source.truncated")) : null,
    el("pre", { class: "mail-source", tabindex: "0", "aria-label": t("mail.tab.source") }, m.source),
  ];
}

const RENDER = { message: messageTab, mime: mimeTab, headers: headersTab, source: sourceTab };

/** The nodes of tab `name` ("message", "mime", "headers", "source") for `message`, the API's JSON. */
export function renderTab(name, message, context) {
  ctx = context;
  return RENDER[name](message);
}
