/**
 * mail.js: the mailbox viewer (/mail), three panes over the read-only mail API.
 *
 * Folders per user on the left, the chosen folder's messages in the middle,
 * the chosen message on the right in four tabs: the message as a mail client
 * shows it, its MIME structure (each part explained, lecture section 6), its
 * header fields as sent and decoded, and its raw source.
 *
 * Two realms: the learner's own copy of the world ("mine", what their lab
 * sessions deliver to) and the real ports' mail ("server"; off loopback the
 * server wants the teacher key, kept for this tab as on the Live page).
 * The URL carries realm, user, folder, uid and tab, so a link opens the same
 * message on another screen. Everything a message holds reaches the page as
 * text nodes (dom.js `el`); an HTML body is shown as source, or rendered in an
 * <iframe sandbox=""> under a CSP that lets nothing load.
 */
import { t, lang, has } from "./i18n.js";
import { el, replace, announce } from "./dom.js";
import { createPresenter } from "./presenter.js";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "mailsim.teacherKey";
const POLL_MS = 10000;
const TABS = ["message", "mime", "headers", "source"];
const IFRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
const FLAG_INFO = {
  "\\Flagged": { symbol: "⚑", key: "mail.flag.flagged" },
  "\\Answered": { symbol: "↩", key: "mail.flag.answered" },
  "\\Deleted": { symbol: "✖", key: "mail.flag.deleted" },
  "\\Draft": { symbol: "✎", key: "mail.flag.draft" },
};

const state = {
  realm: "mine",
  user: null,
  folder: null,
  uid: null,
  tab: "message",
  overview: null, // {realm, users: [{login, name, address, folders: [...]}]}
  listVersion: null, // the listed folder's version, to notice changes
  message: null, // the open message's JSON
};
let teacherKey = "";
try {
  teacherKey = sessionStorage.getItem(KEY_STORAGE) || "";
} catch {
  teacherKey = "";
}

// ---------------------------------------------------------------- small helpers

const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
const numberFormat = new Intl.NumberFormat(lang);
const plural = new Intl.PluralRules(lang);

function counted(key, n) {
  const category = plural.select(n);
  const specific = `${key}.${category}`;
  return t(has(specific) ? specific : `${key}.other`, { n: numberFormat.format(n) });
}

function when(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

function bytes(n) {
  return typeof n === "number" ? counted("mail.bytes", n) : "";
}

function authHeaders() {
  return state.realm === "server" && teacherKey ? { Authorization: `Bearer ${teacherKey}` } : {};
}

function setConnection(ok) {
  const indicator = $("conn-status");
  if (!indicator) return;
  const status = ok ? "connected" : "disconnected";
  if (indicator.dataset.status === status) return;
  indicator.dataset.status = status;
  indicator.textContent = t(`ui.conn.${status}`);
}

/** GET or POST JSON; resolves to {ok, status, data, error}, never rejects. */
async function call(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    setConnection(false);
    return { ok: false, status: 0, error: { code: "network", message: t("ui.error.network") } };
  }
  setConnection(true);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const error = (data && data.error) || {};
  return {
    ok: false,
    status: response.status,
    error: { code: error.code || `http_${response.status}`, message: error.message || t("ui.error.http", { status: response.status }) },
  };
}

function apiUrl(path, params = {}) {
  const query = new URLSearchParams({ realm: state.realm, ...params });
  return `${path}?${query}`;
}

function userPath(user) {
  return `/api/mail/${encodeURIComponent(user)}`;
}

/** The page URL of a selection (what a teacher shares). */
function pageUrl({ realm = state.realm, user = state.user, folder = state.folder, uid = state.uid, tab = state.tab } = {}) {
  const query = new URLSearchParams();
  if (realm !== "mine") query.set("realm", realm);
  if (user) query.set("user", user);
  if (user && folder) query.set("folder", folder);
  if (user && folder && uid) query.set("uid", String(uid));
  if (uid && tab && tab !== "message") query.set("tab", tab);
  const text = query.toString();
  return text ? `/mail?${text}` : "/mail";
}

function remember(push) {
  const url = pageUrl();
  if (`${location.pathname}${location.search}` === url) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

function readUrl() {
  const query = new URLSearchParams(location.search);
  state.realm = query.get("realm") === "server" ? "server" : "mine";
  state.user = query.get("user") || null;
  state.folder = state.user ? query.get("folder") || "INBOX" : null;
  const uid = Number.parseInt(query.get("uid") || "", 10);
  state.uid = state.folder && uid > 0 ? uid : null;
  const tab = query.get("tab");
  state.tab = TABS.includes(tab) ? tab : "message";
}

function showAlert(message) {
  $("mail-alert").textContent = message || "";
  $("mail-alert").hidden = !message;
}

const status = (text) => announce($("mail-status"), text);

/** Up/Down (and Home/End) move between the links of a list, as in a mail client. */
function arrowKeys(container, selector) {
  container.addEventListener("keydown", (event) => {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const items = [...container.querySelectorAll(selector)];
    const at = items.indexOf(document.activeElement);
    if (at < 0 || !items.length) return;
    event.preventDefault();
    let next = at;
    if (event.key === "ArrowDown") next = Math.min(items.length - 1, at + 1);
    else if (event.key === "ArrowUp") next = Math.max(0, at - 1);
    else if (event.key === "Home") next = 0;
    else next = items.length - 1;
    items[next].focus();
  });
}

/** A same-page link: a plain click selects without reloading; a middle click opens a tab. */
function pageLink(target, attrs, ...children) {
  const link = el("a", { href: pageUrl(target), ...attrs }, ...children);
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    select(target, { push: true });
  });
  return link;
}

/**
 * A download link. In the real ports' realm with a teacher key the request
 * needs the Authorization header, which a plain link cannot send: the bytes
 * are fetched and saved from a blob instead.
 */
function downloadLink(href, label, attrs = {}) {
  const link = el("a", { href, download: "", ...attrs }, label);
  link.addEventListener("click", async (event) => {
    if (state.realm !== "server" || !teacherKey) return;
    event.preventDefault();
    try {
      const response = await fetch(href, { headers: authHeaders() });
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
      const save = el("a", { href: URL.createObjectURL(blob), download: match ? decodeURIComponent(match[1]) : "" });
      document.body.append(save);
      save.click();
      save.remove();
      window.setTimeout(() => URL.revokeObjectURL(save.href), 10000);
    } catch {
      showAlert(t("mail.error.download"));
    }
  });
  return link;
}

// ---------------------------------------------------------------- realm switch, teacher key

function renderRealm() {
  document.querySelectorAll("[data-realm]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.realm === state.realm));
  });
  $("mail-intro").textContent = t(state.realm === "server" ? "mail.realm.server_intro" : "mail.realm.mine_intro");
  $("btn-reset").hidden = state.realm !== "mine";
}

function askForKey(wrong) {
  $("teacher-key").hidden = false;
  $("teacher-key-help").textContent = t(wrong ? "mail.key.wrong" : "mail.key.needed");
  $("teacher-key-input").focus();
}

$("teacher-key").addEventListener("submit", (event) => {
  event.preventDefault();
  teacherKey = $("teacher-key-input").value.trim();
  try {
    sessionStorage.setItem(KEY_STORAGE, teacherKey);
  } catch {
    // kept in memory only
  }
  refresh({ full: true });
});

document.querySelectorAll("[data-realm]").forEach((button) => {
  button.addEventListener("click", () => {
    if (button.dataset.realm === state.realm) return;
    select({ realm: button.dataset.realm, user: null, folder: null, uid: null, tab: state.tab }, { push: true });
  });
});

// ---------------------------------------------------------------- folders

function folderTree(folders) {
  // Nested nodes by "/" levels; a level with no folder of its own is a plain label.
  const root = { children: new Map() };
  for (const folder of folders) {
    let node = root;
    const parts = folder.name.split("/");
    parts.forEach((part, i) => {
      if (!node.children.has(part)) node.children.set(part, { name: part, folder: null, children: new Map() });
      node = node.children.get(part);
      if (i === parts.length - 1) node.folder = folder;
    });
  }
  return root;
}

function folderItem(user, node) {
  const folder = node.folder;
  let label;
  if (folder) {
    const current = state.user === user.login && state.folder === folder.name;
    const unseen = folder.unseen ? el("span", { class: "mail-count mail-count-unseen", title: counted("mail.unseen", folder.unseen) },
      numberFormat.format(folder.unseen), el("span", { class: "sr-only" }, ` ${counted("mail.unseen_short", folder.unseen)}`)) : null;
    label = pageLink({ user: user.login, folder: folder.name, uid: null }, {
      class: "folder-link",
      "aria-current": current ? "true" : null,
      "data-user": user.login,
      "data-folder": folder.name,
      title: folder.name,
    },
    el("span", { class: "folder-name" }, node.name),
    unseen,
    el("span", { class: "mail-count", title: counted("mail.messages_count", folder.exists) },
      numberFormat.format(folder.exists), el("span", { class: "sr-only" }, ` ${counted("mail.messages_count_short", folder.exists)}`)));
  } else {
    label = el("span", { class: "folder-link folder-none" }, node.name);
  }
  const children = [...node.children.values()];
  return el("li", {}, label, children.length ? el("ul", {}, children.map((child) => folderItem(user, child))) : null);
}

function renderFolders() {
  const box = $("folder-tree");
  if (!state.overview) {
    replace(box);
    return;
  }
  replace(box, state.overview.users.map((user) => el("section", { class: "mail-user", "aria-labelledby": `user-${user.login}` },
    el("h3", { id: `user-${user.login}` }, user.name, " ", el("span", { class: "user-address" }, `<${user.address}>`)),
    el("ul", { class: "folder-list" }, [...folderTree(user.folders).children.values()].map((node) => folderItem(user, node))))));
}

// ---------------------------------------------------------------- message list

function currentFolder() {
  const user = state.overview && state.overview.users.find((u) => u.login === state.user);
  return user ? user.folders.find((f) => f.name === state.folder) || null : null;
}

function flagChips(flags, unread) {
  const chips = [];
  if (unread) chips.push(el("span", { class: "mail-flag mail-flag-unread", title: t("mail.flag.unread") }, "●", el("span", { class: "sr-only" }, t("mail.flag.unread"))));
  for (const flag of flags) {
    const info = FLAG_INFO[flag];
    if (info) {
      chips.push(el("span", { class: `mail-flag mail-flag-${flag.slice(1).toLowerCase()}`, title: t(info.key) }, info.symbol,
        el("span", { class: "sr-only" }, t(info.key))));
    } else if (flag !== "\\Seen" && flag !== "\\Recent") {
      chips.push(el("span", { class: "mail-flag mail-flag-keyword" }, flag));
    }
  }
  return chips;
}

function messageItem(message) {
  const unread = !message.flags.includes("\\Seen");
  const current = message.uid === state.uid;
  return el("li", {}, pageLink({ uid: message.uid }, {
    class: `message-link${unread ? " unread" : ""}${message.flags.includes("\\Deleted") ? " deleted" : ""}`,
    "aria-current": current ? "true" : null,
    "data-uid": String(message.uid),
  },
  el("span", { class: "message-from" }, message.from || t("mail.no_from")),
  el("span", { class: "message-date" }, when(message.internal_date)),
  el("span", { class: "message-subject" }, message.subject || t("mail.no_subject")),
  el("span", { class: "message-meta" }, flagChips(message.flags, unread), el("span", { class: "message-size" }, bytes(message.size)))));
}

async function loadList({ quiet = false } = {}) {
  const list = $("message-list");
  const where = $("list-where");
  if (!state.user || !state.folder) {
    replace(list);
    where.textContent = t("mail.list.choose");
    state.listVersion = null;
    return;
  }
  const user = state.user;
  const folder = state.folder;
  const answer = await call(apiUrl(`${userPath(user)}/messages`, { folder }));
  if (user !== state.user || folder !== state.folder) return; // chosen something else meanwhile
  if (!answer.ok) {
    replace(list);
    where.textContent = "";
    if (!quiet) showAlert(answer.error.message);
    state.listVersion = null;
    return;
  }
  const { data } = answer;
  state.listVersion = data.folder.version;
  where.textContent = t("mail.list.where", { user, folder, n: counted("mail.messages_count", data.total) });
  if (!data.messages.length) {
    replace(list, el("li", { class: "muted list-empty" }, t("mail.list.empty")));
  } else {
    replace(list, data.messages.map(messageItem));
    if (data.truncated) list.append(el("li", { class: "muted list-empty" }, t("mail.list.truncated", { n: data.messages.length })));
  }
}

function markCurrentMessage() {
  $("message-list").querySelectorAll("[data-uid]").forEach((link) => {
    if (Number(link.dataset.uid) === state.uid) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  });
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

function partUrl(path) {
  const m = state.message;
  return apiUrl(`${userPath(m.user)}/message/${m.uid}/part/${path}`, { folder: m.folder });
}

/** Where a node's content downloads: its part; the whole message (.eml) for a multipart root; "1" for a single-part body. */
function nodeUrl(node) {
  if (node.path) return partUrl(node.path);
  return node.children.length ? rawUrl(true) : partUrl("1");
}

function rawUrl(download) {
  const m = state.message;
  return apiUrl(`${userPath(m.user)}/message/${m.uid}/raw`, download ? { folder: m.folder, download: "1" } : { folder: m.folder });
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
      downloadLink(nodeUrl(node), node.filename || t("mail.part_n", { path: node.path || "1" })),
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
  if (node.path) link = downloadLink(nodeUrl(node), t("mail.mime.download"), { class: "btn btn-small", "aria-label": t("mail.mime.download_part", { path: node.path }) });
  else if (leaf) link = downloadLink(nodeUrl(node), t("mail.mime.download"), { class: "btn btn-small", "aria-label": t("mail.mime.download_body") });
  else link = downloadLink(nodeUrl(node), t("mail.mime.download_eml"), { class: "btn btn-small" });
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
      downloadLink(rawUrl(true), t("mail.source.download"), { class: "btn btn-small" }),
      // A new tab cannot send the teacher key: with one, the tab above is the way to read it.
      state.realm === "server" && teacherKey ? null
        : el("a", { href: rawUrl(false), class: "btn btn-small", target: "_blank", rel: "noopener" }, t("mail.source.open"))),
    m.source_truncated ? el("p", { class: "hint" }, t("mail.source.truncated")) : null,
    el("pre", { class: "mail-source", tabindex: "0", "aria-label": t("mail.tab.source") }, m.source),
  ];
}

const RENDER = { message: messageTab, mime: mimeTab, headers: headersTab, source: sourceTab };

function renderTabs() {
  for (const name of TABS) {
    const tab = $(`tab-${name}`);
    const selected = name === state.tab;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
  }
}

function renderMessage() {
  const m = state.message;
  $("view-tabs").hidden = !m;
  $("view-empty").hidden = Boolean(m);
  $("view-title").textContent = m ? (m.summary.subject || t("mail.no_subject")) : t("mail.view.title");
  for (const name of TABS) replace($(`panel-${name}`), m ? RENDER[name](m) : []);
  renderTabs();
}

function chooseTab(name, { focus = false } = {}) {
  state.tab = name;
  renderTabs();
  remember(false);
  if (focus) $(`tab-${name}`).focus();
}

$("view-tabs").querySelector("[role=tablist]").addEventListener("keydown", (event) => {
  const at = TABS.indexOf(state.tab);
  let next = null;
  if (event.key === "ArrowRight") next = TABS[(at + 1) % TABS.length];
  else if (event.key === "ArrowLeft") next = TABS[(at + TABS.length - 1) % TABS.length];
  else if (event.key === "Home") next = TABS[0];
  else if (event.key === "End") next = TABS[TABS.length - 1];
  if (next) {
    event.preventDefault();
    chooseTab(next, { focus: true });
  }
});
TABS.forEach((name) => $(`tab-${name}`).addEventListener("click", () => chooseTab(name)));

async function loadMessage() {
  if (!state.user || !state.folder || !state.uid) {
    state.message = null;
    renderMessage();
    return;
  }
  const { user, folder, uid } = state;
  const answer = await call(apiUrl(`${userPath(user)}/message/${uid}`, { folder }));
  if (user !== state.user || folder !== state.folder || uid !== state.uid) return;
  if (!answer.ok) {
    state.message = null;
    renderMessage();
    showAlert(answer.error.message);
    return;
  }
  state.message = answer.data;
  renderMessage();
}

// ---------------------------------------------------------------- selection and refresh

async function loadOverview() {
  const answer = await call(apiUrl("/api/mail"));
  if (answer.status === 401) {
    state.overview = null;
    renderFolders();
    askForKey(Boolean(teacherKey));
    showAlert(answer.error.message);
    return false;
  }
  if (!answer.ok) {
    showAlert(answer.error.message);
    return false;
  }
  $("teacher-key").hidden = true;
  state.overview = answer.data;
  if (!state.user && state.overview.users.length) {
    // Nothing chosen: the first user's INBOX, as a mail client opens.
    state.user = state.overview.users[0].login;
    state.folder = "INBOX";
    remember(false);
  }
  renderFolders();
  return true;
}

/** Show `target` (any of realm, user, folder, uid, tab); loads what changed. */
async function select(target, { push = false } = {}) {
  const realmChanged = target.realm !== undefined && target.realm !== state.realm;
  const folderChanged = realmChanged || (target.user !== undefined && target.user !== state.user)
    || (target.folder !== undefined && target.folder !== state.folder);
  Object.assign(state, target);
  if (folderChanged && target.uid === undefined) state.uid = null;
  showAlert("");
  remember(push);
  renderRealm();
  if (realmChanged) {
    state.overview = null;
    state.message = null;
    renderMessage();
    if (!(await loadOverview())) return;
  } else {
    renderFolders();
  }
  if (folderChanged) await loadList();
  markCurrentMessage();
  await loadMessage();
  if (state.message && push) {
    status(t("mail.opened", { subject: state.message.summary.subject || t("mail.no_subject") }));
    if (window.matchMedia("(max-width: 760px)").matches) $("view-title").scrollIntoView({ block: "start" });
  }
}

/** Reload everything (button, page shown again) or, quietly, only what changed. */
async function refresh({ full = false } = {}) {
  if (!(await loadOverview())) return;
  const folder = currentFolder();
  if (full || !folder || folder.version !== state.listVersion) {
    await loadList({ quiet: !full });
    if (full || state.uid) await loadMessage();
  }
  if (full) status(t("mail.refreshed"));
}

$("btn-refresh").addEventListener("click", () => {
  showAlert("");
  refresh({ full: true });
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
window.setInterval(() => {
  if (document.visibilityState === "visible") refresh();
}, POLL_MS);

window.addEventListener("popstate", async () => {
  const before = state.realm;
  readUrl();
  renderRealm();
  if (before !== state.realm) state.overview = null;
  if (!(await loadOverview())) return;
  await loadList();
  await loadMessage();
});

// ---------------------------------------------------------------- reset

const dialog = $("reset-dialog");
$("btn-reset").addEventListener("click", () => {
  if (typeof dialog.showModal === "function") {
    dialog.returnValue = "";
    dialog.showModal();
  }
  else if (window.confirm(t("mail.reset.question"))) doReset();
});
dialog.addEventListener("close", () => {
  if (dialog.returnValue === "reset") doReset();
  $("btn-reset").focus();
});

async function doReset() {
  const answer = await call("/api/mail/reset", { method: "POST", body: {} });
  if (!answer.ok) {
    showAlert(answer.error.message);
    return;
  }
  showAlert("");
  state.uid = null; // UIDVALIDITY changed: old UIDs mean nothing now
  state.message = null;
  remember(false);
  renderMessage();
  await refresh({ full: true });
  status(t("mail.reset.done"));
}

// ---------------------------------------------------------------- start

arrowKeys($("folder-tree"), "a.folder-link");
arrowKeys($("message-list"), "a.message-link");
createPresenter({ button: $("btn-presenter"), focusTarget: () => $("view-title") });

readUrl();
renderRealm();
renderMessage();
(async () => {
  if (!(await loadOverview())) return;
  await loadList();
  markCurrentMessage();
  await loadMessage();
})();
