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
