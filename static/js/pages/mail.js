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
import { t } from "../lib/i18n.js";
import { el, replace, announce } from "../lib/dom.js";
import { rest } from "../lib/http.js";
import { createPresenter } from "../components/presenter.js";
import { createTeacherKey } from "../components/teacherkey.js";
import { bytes, counted, numberFormat, renderTab, when } from "../components/mailmessage.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 10000;
const TABS = ["message", "mime", "headers", "source"];
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
const teacherKey = createTeacherKey($("teacher-key"), { onSubmit: () => refresh({ full: true }) });

function authHeaders() {
  return state.realm === "server" ? teacherKey.headers() : {};
}

/** GET or POST JSON with the teacher key when it is needed; resolves to {ok, status, data, error}, never rejects. */
function call(url, { method = "GET", body } = {}) {
  return rest(url, { method, body, headers: authHeaders(), indicate: true });
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

/**
 * Redraw `container` with `draw()`, keeping keyboard focus on the item (by its
 * data-key) that had it, so a refresh never throws a keyboard user out of a list.
 */
function keepingFocus(container, draw) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  draw();
  if (key === undefined) return;
  const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (again) again.focus({ preventScroll: true });
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
    if (state.realm !== "server" || !teacherKey.key) return;
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

// ---------------------------------------------------------------- realm switch

function renderRealm() {
  document.querySelectorAll("[data-realm]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.realm === state.realm));
  });
  $("mail-intro").textContent = t(state.realm === "server" ? "mail.realm.server_intro" : "mail.realm.mine_intro");
  $("btn-reset").hidden = state.realm !== "mine";
}


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
      "data-key": `${user.login}/${folder.name}`,
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
  keepingFocus(box, () => replace(box, state.overview.users.map((user) => el("section", { class: "mail-user", "aria-labelledby": `user-${user.login}` },
    el("h3", { id: `user-${user.login}` }, user.name, " ", el("span", { class: "user-address" }, `<${user.address}>`)),
    el("ul", { class: "folder-list" }, [...folderTree(user.folders).children.values()].map((node) => folderItem(user, node)))))));
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
    "data-key": String(message.uid),
  },
  el("span", { class: "message-from" }, message.from || t("mail.no_from")),
  el("span", { class: "message-date" }, when(message.internal_date)),
  el("span", { class: "message-subject" }, message.subject || t("mail.no_subject")),
  el("span", { class: "message-meta" }, flagChips(message.flags, unread), el("span", { class: "message-size" }, bytes(message.size)))));
}

let listShown = null; // what the list shows now, to skip redrawing the same

async function loadList({ quiet = false } = {}) {
  const list = $("message-list");
  const where = $("list-where");
  if (!state.user || !state.folder) {
    listShown = null;
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
    listShown = null;
    replace(list);
    where.textContent = "";
    if (!quiet) showAlert(answer.error.message);
    state.listVersion = null;
    return;
  }
  const { data } = answer;
  state.listVersion = data.folder.version;
  where.textContent = t("mail.list.where", { user, folder, n: counted("mail.messages_count", data.total) });
  const shown = JSON.stringify([user, folder, data.messages, data.truncated]);
  if (shown === listShown) return; // nothing new: leave the list (and focus) alone
  listShown = shown;
  keepingFocus(list, () => {
    if (!data.messages.length) {
      replace(list, el("li", { class: "muted list-empty" }, t("mail.list.empty")));
    } else {
      replace(list, data.messages.map(messageItem));
      if (data.truncated) list.append(el("li", { class: "muted list-empty" }, t("mail.list.truncated", { n: data.messages.length })));
    }
  });
}

function markCurrentMessage() {
  $("message-list").querySelectorAll("[data-uid]").forEach((link) => {
    if (Number(link.dataset.uid) === state.uid) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  });
}

function partUrl(path) {
  const m = state.message;
  return apiUrl(`${userPath(m.user)}/message/${m.uid}/part/${path}`, { folder: m.folder });
}

function rawUrl(download) {
  const m = state.message;
  return apiUrl(`${userPath(m.user)}/message/${m.uid}/raw`, download ? { folder: m.folder, download: "1" } : { folder: m.folder });
}

/** What the tabs need from the page: the download URLs of the open message and the teacher key's link. */
function tabContext() {
  return { partUrl, rawUrl, downloadLink, canOpenRaw: !(state.realm === "server" && teacherKey.key) };
}

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
  const context = tabContext();
  for (const name of TABS) replace($(`panel-${name}`), m ? renderTab(name, m, context) : []);
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
    teacherKey.ask(t(teacherKey.key ? "mail.key.wrong" : "mail.key.needed"));
    showAlert(answer.error.message);
    return false;
  }
  if (!answer.ok) {
    showAlert(answer.error.message);
    return false;
  }
  teacherKey.hide();
  const same = state.overview && JSON.stringify(state.overview) === JSON.stringify(answer.data);
  state.overview = answer.data;
  if (!state.user && state.overview.users.length) {
    // Nothing chosen: the first user's INBOX, as a mail client opens.
    state.user = state.overview.users[0].login;
    state.folder = "INBOX";
    remember(false);
  }
  if (!same) renderFolders();
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
