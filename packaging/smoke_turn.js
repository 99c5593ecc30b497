// packaging/smoke's turn, run inside the bundle's window (CHATKIT_DESKTOP_SMOKE_SCRIPT): types a
// message into the built-in chat client, presses Enter like a person, and waits for the answer
// to finish. Returns "pending" at once; the result lands in window.__chatkitDesktopSmokeScript.
(function () {
  var MESSAGE = "Hello from the bundle smoke test";
  var EXPECTED = "You said: " + MESSAGE; // the local OpenAI-compatible server echoes
  window.__chatkitDesktopSmokeScript = null;
  var started = Date.now();

  function waitFor(what, test, ms) {
    return new Promise(function (resolve, reject) {
      (function poll() {
        var value = null;
        try { value = test(); } catch (e) { value = null; }
        if (value) return resolve(value);
        if (Date.now() - started > ms) return reject(new Error("timed out waiting for " + what));
        setTimeout(poll, 50);
      })();
    });
  }

  function q(selector) { return document.querySelector(selector); }

  waitFor("the composer", function () { return q('[data-chat="composer"]'); }, 20000)
    .then(function (composer) {
      composer.focus();
      composer.value = MESSAGE;
      composer.dispatchEvent(new Event("input", { bubbles: true }));
      composer.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
      return waitFor("the finished answer", function () {
        var answers = document.querySelectorAll('[data-chat="messages"] [data-item-type="assistant_message"]');
        var last = answers[answers.length - 1];
        var stop = q('[data-chat="stop"]');
        return last && last.textContent.indexOf(EXPECTED) !== -1 && stop && stop.hidden ? last : null;
      }, 40000);
    })
    .then(function (answer) {
      var users = document.querySelectorAll('[data-chat="messages"] [data-item-type="user_message"]');
      var threads = document.querySelectorAll('[data-chat="threads"] li[data-thread-id]');
      window.__chatkitDesktopSmokeScript = {
        ok: true,
        answer: answer.textContent.trim(),
        user_messages: users.length,
        threads: threads.length,
        turn_ms: Date.now() - started
      };
    }, function (error) {
      var err = q('[data-chat="error"]');
      window.__chatkitDesktopSmokeScript = {
        ok: false,
        error: String(error),
        page_error: err && !err.hidden ? err.textContent : null,
        body: document.body ? document.body.innerText.slice(0, 2000) : null
      };
    });
  return "pending";
})();
