// Realistic `exchange` events (docs/api.md) for the diagram's tests and harness.

/** One SMTP session: connect, greeting, EHLO, `transactions` mails, QUIT, close. */
export function smtpSession({ transactions = 1, session = "s1", faults = true, noops = 0 } = {}) {
  const out = [];
  let t = 0;
  const push = (from, kind, text, extra = {}) => {
    t += kind === "reply" ? 12 : 230;
    out.push({ session, seq: out.length + 1, from, kind, text, code: null, phase: "transfer", fault: null,
      t_ms: t, key: null, verb: null, state: "ready", ...extra });
  };
  const est = { phase: "establishment" };
  push("client", "tcp", "connect", est);
  push("server", "reply", "220 mx.example.org ESMTP MailSim ready", { ...est, code: 220, key: "220.ready", state: "connected" });
  push("client", "command", "EHLO c.example", { ...est, verb: "EHLO" });
  push("server", "reply", "250-mx.example.org greets c.example\n250-SIZE 10240000\n250-8BITMIME\n250 HELP",
    { ...est, code: 250, key: "250.ehlo", state: "greeted" });
  for (let k = 0; k < transactions; k++) {
    push("client", "command", `MAIL FROM:<bob${k}@c.example>`, { verb: "MAIL", state: "mail" });
    push("server", "reply", "250 2.1.0 Sender OK", { code: 250, key: "250.ok", state: "mail" });
    if (faults && k % 3 === 1) {
      push("client", "command", "RCPT TO:<nobody@example.org>", { verb: "RCPT", state: "mail" });
      push("server", "reply", "550 5.1.1 <nobody@example.org>: no such user here; try again", {
        code: 550, key: "550.no_such_user", state: "mail",
        fault: { rule: 0, action: "reply", natural: { code: 250, key: "250.ok", text: "250 2.1.5 Recipient OK" } } });
    } else if (faults && k % 3 === 2) {
      push("client", "command", "RCPT TO:<carol@example.org>", { verb: "RCPT", state: "mail" });
      push("server", "reply", "451 4.3.0 Local error in processing; try again later", {
        code: 451, key: "451.local_error", state: "mail" });
    } else {
      push("client", "command", "RCPT TO:<alice@example.org>", { verb: "RCPT", state: "rcpt" });
      push("server", "reply", "250 2.1.5 Recipient OK", { code: 250, key: "250.ok", state: "rcpt" });
    }
    push("client", "command", "DATA", { verb: "DATA", state: "data" });
    push("server", "reply", "354 Start mail input; end with <CRLF>.<CRLF>", { code: 354, key: "354.start", state: "data" });
    push("client", "data", `From: bob${k}@c.example\nTo: alice@example.org\nSubject: Lab report #${k}; draft\n\nHello Alice,\n..this line was dot-stuffed\n.`,
      { state: "data" });
    const delayed = faults && k % 4 === 3;
    push("server", "reply", `250 2.0.0 OK: queued as ${1000 + k}`, { code: 250, key: "250.queued", state: "ready",
      fault: delayed ? { rule: 1, action: "delay", natural: null } : null });
    if (delayed) out[out.length - 1].t_ms += 2500;
  }
  for (let k = 0; k < noops; k++) {
    push("client", "command", "NOOP", { verb: "NOOP" });
    push("server", "reply", "250 2.0.0 OK", { code: 250, key: "250.ok" });
  }
  const term = { phase: "termination" };
  push("client", "command", "QUIT", { ...term, verb: "QUIT" });
  push("server", "reply", "221 2.0.0 mx.example.org closing connection", { ...term, code: 221, key: "221.bye", state: "closed" });
  push("server", "tcp", "close", { ...term, state: "closed" });
  return out;
}

/** A transcript file object of at least `n` exchanges (8 per transaction, 7 around, NOOPs to fill). */
export function transcriptOf(n, meta = {}) {
  const transactions = Math.max(1, Math.floor((n - 7) / 8));
  const noops = Math.max(0, Math.ceil((n - 7 - 8 * transactions) / 2));
  return {
    format: "mailsim-transcript",
    version: 1,
    meta: { protocol: "smtp", session: "s1", title: "Test session", ...meta },
    exchanges: smtpSession({ transactions, noops }),
  };
}

/**
 * A session in which fault rule `rule` (0-based) keeps the server silent after
 * MAIL FROM, as the server emits it (kind "silence", docs/api.md); the
 * client then gives up on the connection.
 */
export function silentSession({ session = "s-silent", rule = 0 } = {}) {
  const out = smtpSession({ transactions: 0, session, faults: false }).slice(0, 4);
  let t = out[out.length - 1].t_ms;
  const push = (from, kind, text, extra = {}) => {
    t += kind === "command" ? 230 : 12;
    out.push({ session, seq: out.length + 1, from, kind, text, code: null, phase: "transfer", fault: null,
      t_ms: t, key: null, verb: null, state: "greeted", ...extra });
  };
  push("client", "command", "MAIL FROM:<a@b>", { verb: "MAIL" });
  push("server", "silence", "", {
    fault: { rule, action: "silent", natural: { code: 250, key: "250.ok", text: "250 2.1.0 Sender OK" } } });
  t += 30000;
  push("client", "tcp", "close", { phase: "termination", state: "closed" });
  return out;
}

/** A POP3 session as the server emits it: USER/PASS, STAT, LIST, RETR (multi-line), DELE, QUIT. */
export function pop3Session({ session = "p1", badPassword = false } = {}) {
  const out = [];
  let t = 0;
  const push = (from, kind, text, extra = {}) => {
    t += kind === "reply" ? 9 : 400;
    out.push({ session, seq: out.length + 1, from, kind, text, code: null, phase: "transaction", fault: null,
      t_ms: t, key: null, verb: null, state: "transaction", ...extra });
  };
  const auth = { phase: "authorization", state: "authorization" };
  push("client", "tcp", "connect", { phase: "establishment", state: "authorization" });
  push("server", "reply", "+OK mx.example.org POP3 server (MailSim) ready <1896.697170952@mx.example.org>",
    { phase: "establishment", state: "authorization", code: "+OK", key: "ok.greeting" });
  push("client", "command", "USER bob", { ...auth, verb: "USER" });
  push("server", "reply", "+OK bob accepted, send PASS", { ...auth, code: "+OK", key: "ok.user" });
  if (badPassword) {
    push("client", "command", "PASS secret", { ...auth, verb: "PASS" });
    push("server", "reply", "-ERR [AUTH] invalid user name or password", { ...auth, code: "-ERR", key: "err.auth_failed",
      fault: { rule: 0, action: "reply", natural: { code: "+OK", key: "ok.login", text: "+OK bob's maildrop has 2 messages (980 octets)" } } });
    push("client", "command", "USER bob", { ...auth, verb: "USER" });
    push("server", "reply", "+OK bob accepted, send PASS", { ...auth, code: "+OK", key: "ok.user" });
  }
  push("client", "command", "PASS bob", { ...auth, verb: "PASS" });
  push("server", "reply", "+OK bob's maildrop has 2 messages (980 octets)", { ...auth, code: "+OK", key: "ok.login", state: "transaction" });
  push("client", "command", "STAT", { verb: "STAT" });
  push("server", "reply", "+OK 2 980", { code: "+OK", key: "ok.stat" });
  push("client", "command", "LIST", { verb: "LIST" });
  push("server", "reply", "+OK 2 messages (980 octets)\n1 417\n2 563\n.", { code: "+OK", key: "ok.list" });
  push("client", "command", "RETR 1", { verb: "RETR" });
  push("server", "reply", "+OK 417 octets\nFrom: alice@example.org\nTo: bob@example.org\nSubject: Lunch on Friday?\n\nHi Bob,\n..a line that starts with a dot\nAlice\n.",
    { code: "+OK", key: "ok.retr" });
  push("client", "command", "DELE 1", { verb: "DELE" });
  push("server", "reply", "+OK message 1 deleted", { code: "+OK", key: "ok.dele" });
  push("client", "command", "RETR 9", { verb: "RETR" });
  push("server", "reply", "-ERR no such message", { code: "-ERR", key: "err.no_such_message" });
  push("client", "command", "QUIT", { verb: "QUIT", phase: "update" });
  push("server", "reply", "+OK mx.example.org POP3 server signing off (1 message left)", { code: "+OK", key: "ok.quit_update", phase: "update", state: "update" });
  push("server", "tcp", "close", { phase: "termination", state: "closed" });
  return out;
}

/**
 * An IMAP session as the server emits it (RFC 3501 §8's example, MailSim's
 * wording): LOGIN, SELECT with its untagged lines, FETCH with a literal,
 * SEARCH, a literal continuation, LOGOUT with its untagged BYE.
 */
export function imapSession({ session = "i1" } = {}) {
  const out = [];
  let t = 0;
  const push = (from, kind, text, extra = {}) => {
    t += kind === "reply" ? 11 : 500;
    out.push({ session, seq: out.length + 1, from, kind, text, code: null, phase: "selected", fault: null,
      t_ms: t, key: null, verb: null, state: "selected", ...extra });
  };
  const na = { phase: "not_authenticated", state: "not_authenticated" };
  const au = { phase: "authenticated", state: "authenticated" };
  push("client", "tcp", "connect", { phase: "establishment", state: "not_authenticated" });
  push("server", "reply", "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN] mx.example.org IMAP4rev1 MailSim ready",
    { phase: "establishment", state: "not_authenticated", code: "OK", key: "ok.greeting" });
  push("client", "command", "a1 LOGIN bob bob", { ...na, verb: "LOGIN" });
  push("server", "reply", "a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] LOGIN completed", { ...na, code: "OK", key: "ok.login", state: "authenticated" });
  push("client", "command", "a2 SELECT INBOX", { ...au, verb: "SELECT" });
  push("server", "reply", [
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* 3 EXISTS",
    "* 1 RECENT",
    "* OK [UIDVALIDITY 3857529045] UIDs valid",
    "* OK [UIDNEXT 4] Predicted next UID",
    "a2 OK [READ-WRITE] SELECT completed"].join("\n"), { ...au, code: "OK", key: "ok.select", state: "selected" });
  const body = "Subject: Invoice 42\r\n\r\nPlease pay.\r\n";
  push("client", "command", "a3 FETCH 1 (FLAGS BODY[])", { verb: "FETCH" });
  push("server", "reply", `* 1 FETCH (FLAGS (\\Seen) BODY[] {${body.length}}\n${body.replace(/\r\n/g, "\n")})\na3 OK FETCH completed`,
    { code: "OK", key: "ok.fetch" });
  push("client", "command", "a4 SEARCH SUBJECT invoice", { verb: "SEARCH" });
  push("server", "reply", "* SEARCH 1 3\na4 OK SEARCH completed", { code: "OK", key: "ok.search" });
  push("client", "command", "a5 CREATE {7}", { verb: "CREATE" });
  push("server", "reply", "+ Ready for literal data", { code: "+", key: "cont.literal" });
  push("client", "command", "Archive", { verb: null });
  push("server", "reply", "a5 OK CREATE completed", { code: "OK", key: "ok.create" });
  push("client", "command", "a6 SELECT Nowhere", { verb: "SELECT" });
  push("server", "reply", "a6 NO [NONEXISTENT] No such mailbox", { code: "NO", key: "no.nonexistent", state: "authenticated", phase: "authenticated" });
  push("client", "command", "a7 LOGOUT", { ...au, verb: "LOGOUT", phase: "logout" });
  push("server", "reply", "* BYE mx.example.org IMAP4rev1 server logging out\na7 OK LOGOUT completed",
    { code: "OK", key: "ok.logout", phase: "logout", state: "logout" });
  push("server", "tcp", "close", { phase: "termination", state: "closed" });
  return out;
}
