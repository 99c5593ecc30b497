// "Are you sure?" for destructive actions, in the page's own modal dialog (never window.confirm:
// the desktop webview may not show it). Cancel has the focus at first; Escape cancels.

const $ = (id) => document.getElementById(id);

let pending = null;

/** Resolves true when the user confirms, false when they cancel (button, Escape, closing). */
export function confirmAction({ title, text, confirmLabel }) {
  const dialog = $("history-confirm");
  if (pending) pending(false);
  const opener = document.activeElement;
  $("history-confirm-title").textContent = title;
  $("history-confirm-text").textContent = text;
  $("history-confirm-ok").textContent = confirmLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      pending = null;
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected && !answer) opener.focus();
      resolve(answer);
    };
    const onClose = () => finish(dialog.returnValue === "ok");
    pending = finish;
    dialog.returnValue = "";
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    $("history-confirm-cancel").focus();
  });
}

export function setupConfirm() {
  const dialog = $("history-confirm");
  $("history-confirm-ok").addEventListener("click", () => dialog.close("ok"));
  $("history-confirm-cancel").addEventListener("click", () => dialog.close("cancel"));
}
