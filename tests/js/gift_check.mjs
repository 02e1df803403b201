// Checks Moodle GIFT text with an independent parser (gift-pegjs).
// Usage: node tests/js/gift_check.mjs < quiz.gift
// Exit 0 and print, as JSON, one summary per question {type, title, stem, choices: [{correct, text}]};
// exit 1 with the parse error (line:column: message) when the text is not valid GIFT.
import { parse } from "gift-pegjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

let questions;
try {
  questions = parse(text);
} catch (error) {
  const where = error.location ? `${error.location.start.line}:${error.location.start.column}: ` : "";
  process.stderr.write(`GIFT parse error: ${where}${error.message}\n`);
  process.exit(1);
}

const summary = questions.map((q) => ({
  type: q.type,
  title: q.title ?? null,
  stem: q.stem ? q.stem.text : null,
  format: q.stem ? q.stem.format : null,
  globalFeedback: q.globalFeedback ? q.globalFeedback.text : null,
  choices: (q.choices || []).map((c) => ({
    correct: Boolean(c.isCorrect),
    weight: c.weight ?? null,
    text: c.text ? c.text.text : null,
  })),
}));
process.stdout.write(JSON.stringify(summary) + "\n");
