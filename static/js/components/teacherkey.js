/**
 * teacherkey.js: the teacher-key form, shared by the Live page (changing the
 * real ports' faults) and the mailbox viewer (the real ports' mailboxes).
 *
 * The markup is templates/_macros.html `teacher_key_form`: a hidden
 * <form id="teacher-key"> with #teacher-key-input and the hint
 * #teacher-key-help. A server open to other machines answers 401 without
 * the key: the page calls `ask()`, the teacher types the key, and
 * `onSubmit(key)` tries again. The key is kept in sessionStorage (this tab
 * only, shared by both pages), or in memory when storage is refused.
 */
const KEY_STORAGE = "mailsim.teacherKey";

function stored() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/**
 * Wire the form. Returns {key, headers(), ask(help?), hide()}: `headers()`
 * is the Authorization header when there is a key (else none); `ask(help)`
 * shows the form (with `help` as its hint when given) and focuses the input.
 */
export function createTeacherKey(form, { onSubmit } = {}) {
  const input = form.querySelector("#teacher-key-input");
  const help = form.querySelector("#teacher-key-help");
  let key = stored();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    key = input.value.trim();
    try {
      sessionStorage.setItem(KEY_STORAGE, key);
    } catch {
      // kept in memory only
    }
    if (onSubmit) onSubmit(key);
  });

  return {
    get key() { return key; },
    headers() {
      return key ? { Authorization: `Bearer ${key}` } : {};
    },
    ask(text) {
      form.hidden = false;
      if (text !== undefined && help) help.textContent = text;
      input.focus();
    },
    hide() {
      form.hidden = true;
    },
  };
}
