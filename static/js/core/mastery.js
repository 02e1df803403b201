/**
 * mastery.js: a learner's mastery of the reply codes, as levels (pure, no DOM).
 *
 * "My progress" (pages/quizme.js) draws each code at one of four levels:
 * known, shaky, unknown (not yet known) and unseen.
 */

export const LEVELS = ["known", "shaky", "unknown", "unseen"];

/** The protocol a reply code belongs to: three digits SMTP, +OK/-ERR POP3, OK/NO/BAD/BYE IMAP. */
export function protocolOf(code) {
  const c = String(code).toUpperCase();
  if (/^\d{3}$/.test(c)) return "smtp";
  if (c === "+OK" || c === "-ERR") return "pop3";
  return "imap";
}

/**
 * known | shaky | unknown | unseen. The server's "known" (at least 80 % right and out of
 * box 1) stands; of the rest, under half right is "not yet known", else "shaky".
 */
export function levelOf({ seen = 0, correct = 0, box = null, level = null } = {}) {
  if (level && LEVELS.includes(level)) return level; // the server's word (simulator/quizzes.py mastery) stands
  if (!seen) return "unseen";
  if (level === "known") return "known";
  const rate = correct / seen;
  if (level === null && rate >= 0.8 && (box === null || box >= 2)) return "known";
  return rate >= 0.5 ? "shaky" : "unknown";
}
