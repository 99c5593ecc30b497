// A toast: one short message at the bottom of the history view, optionally with one action
// ("Undo"). It stays while the pointer or the keyboard focus is on it.

export class Toast {
  /** `root` holds a `.toast-text` paragraph and a `.toast-action` button. */
  constructor(root) {
    this.root = root;
    this.text = root.querySelector(".toast-text");
    this.button = root.querySelector(".toast-action");
    this.timer = null;
    this.action = null;
    this.held = 0;
    this.button.addEventListener("click", () => {
      const action = this.action;
      this.action = null;
      this.button.hidden = true;
      action?.();
    });
    const hold = () => {
      this.held += 1;
      clearTimeout(this.timer);
    };
    const release = () => {
      this.held = Math.max(0, this.held - 1);
      if (this.held === 0 && !this.root.hidden) this.schedule();
    };
    root.addEventListener("pointerenter", hold);
    root.addEventListener("pointerleave", release);
    root.addEventListener("focusin", hold);
    root.addEventListener("focusout", (event) => {
      if (!root.contains(event.relatedTarget)) release();
    });
  }

  /** Shows `text`; with `action`, a button labelled `actionLabel` runs it (once). */
  show(text, { action = null, actionLabel = "Undo", timeoutMs = 10_000 } = {}) {
    this.root.hidden = false; // shown before the text changes, so the live region announces it
    this.text.textContent = text;
    this.action = action;
    this.button.textContent = actionLabel;
    this.button.hidden = !action;
    this.timeoutMs = timeoutMs;
    if (this.held === 0) this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), this.timeoutMs);
  }

  hide() {
    clearTimeout(this.timer);
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    this.action = null;
    this.held = 0;
    if (hadFocus) document.getElementById("main")?.focus();
  }
}
