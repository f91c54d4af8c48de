// What was typed in a form survives an expired session: before a post the form's fields are kept
// in this tab's sessionStorage; if the post lands on the sign-in page because the session expired
// (?utgangen=1), they are put back into the same form once the same user is signed in again.
// Anything else (a post that went through, signing out, another user) forgets them.
(function () {
  "use strict";
  var KEY = "fordela.kept-form";
  var here = window.location.pathname + window.location.search;
  var user = document.body.getAttribute("data-user") || "";

  function read() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function forget() { window.sessionStorage.removeItem(KEY); }

  if (window.location.pathname === "/logga-in") {
    var kept = read();
    if (kept && /(^|[?&])utgangen=1(&|$)/.test(window.location.search.slice(1))) {
      kept.expired = true;
      window.sessionStorage.setItem(KEY, JSON.stringify(kept));
      // Without a Referer the server could not name the page to return to; the form can.
      var login = document.querySelector('form[action="/logga-in"]');
      if (login && !login.querySelector('input[name="nasta"]')) {
        var back = document.createElement("input");
        back.type = "hidden";
        back.name = "nasta";
        back.value = kept.page;
        login.appendChild(back);
      }
    } else {
      forget();
    }
    return;
  }

  var saved = read();
  forget();
  if (saved && saved.expired && saved.user && saved.user === user && saved.page === here) {
    var form = document.querySelector('form[method="post"][action="' + saved.action + '"]');
    if (form) {
      saved.fields.forEach(function (field) {
        Array.prototype.forEach.call(form.elements, function (el) {
          if (el.name !== field.name || el.name === "csrf_token") { return; }
          if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === field.value; }
          else { el.value = field.value; }
        });
      });
      var note = document.createElement("p");
      note.className = "notice kept-form";
      note.setAttribute("role", "status");
      note.textContent = "Det du skrev innan sessionen gick ut är ifyllt igen. Kontrollera och skicka.";
      var main = document.querySelector("main");
      if (main) { main.insertBefore(note, main.firstChild); }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[method="post"]'), function (form) {
    form.addEventListener("submit", function () {
      if (form.classList.contains("signout")) { forget(); return; }
      var fields = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || el.type === "password" || el.type === "file") { return; }
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
        fields.push({ name: el.name, value: el.value });
      });
      window.sessionStorage.setItem(KEY, JSON.stringify({
        user: user, page: here, action: form.getAttribute("action"), fields: fields, expired: false
      }));
    });
  });
})();
