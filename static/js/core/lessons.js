/**
 * lessons.js: the course pages' small rules (pure, no DOM): how the glossary
 * filter compares words, and which key steps through a lesson (pages/lessons.js).
 */

/** Lower case, ё as е: "Отклик" finds "отклик", "серверё" finds "сервере". */
export function fold(text) {
  return String(text || "").toLowerCase().replace(/ё/g, "е").replace(/\s+/g, " ").trim();
}

/** The step a key leads to: "prev", "next" or null. `code` keeps j/k working on a Russian layout. */
export function stepKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return null;
  if (event.key === "ArrowLeft" || event.code === "KeyK") return "prev";
  if (event.key === "ArrowRight" || event.code === "KeyJ") return "next";
  return null;
}
