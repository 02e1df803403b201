/**
 * completion.js: what Tab makes of the console's line (pure, no DOM).
 *
 * The console (components/console.js) offers the protocol's command forms
 * ("MAIL FROM:<", "HELO ", "DATA", from the catalogue's syntax) and, after a
 * "<", the world's addresses (core/world.js, from GET /api/world).
 */

/** The typing form of a command from its catalogue syntax: "MAIL FROM:<", "HELO ", "DATA". */
export function formFromSyntax(verb, syntax) {
  const text = String(syntax || verb).replace(/^tag\s+/, ""); // IMAP's syntax starts with the tag
  const withPath = /^[A-Za-z]+(?: [A-Za-z]+)?:</.exec(text);
  if (withPath) return withPath[0].toUpperCase();
  return text.trim().length > verb.length ? `${verb} ` : verb;
}

function commonPrefix(words) {
  if (!words.length) return "";
  let prefix = words[0];
  for (const word of words.slice(1)) {
    let i = 0;
    while (i < prefix.length && i < word.length && prefix[i].toLowerCase() === word[i].toLowerCase()) i += 1;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

/**
 * What Tab makes of `text`: `{text, choices}`; `text` is null when nothing
 * fits. Pure, so it is easy to reason about (and to test from the page).
 */
export function complete(text, forms, addresses) {
  const angle = /^(.*<)([^<>]*)$/.exec(text);
  if (angle) {
    const [, head, partial] = angle;
    const choices = addresses.filter((a) => a.startsWith(partial.toLowerCase()));
    if (choices.length === 1) return { text: `${head}${choices[0]}>`, choices };
    if (choices.length > 1) {
      const prefix = commonPrefix(choices);
      return { text: prefix.length > partial.length ? head + prefix : null, choices };
    }
    return { text: null, choices: [] };
  }
  if (!text.trim()) return { text: null, choices: [] };
  const upper = text.toUpperCase();
  const choices = forms.filter((form) => form.startsWith(upper) && form !== upper);
  if (choices.length === 1) return { text: choices[0], choices };
  if (choices.length > 1) {
    const prefix = commonPrefix(choices);
    return { text: prefix.length > text.length ? prefix : null, choices };
  }
  return { text: null, choices: [] };
}
