/* Keep working on plain HTTP when the street's Wi-Fi drops.
 *
 * Forms marked data-queue are sent with fetch; when the node cannot be
 * reached, the form is kept in this phone's localStorage and sent on the next
 * visit. Each such form carries a one-time key, so a resend counts once.
 * Pages marked data-refresh reload themselves only while the node answers,
 * so a dropped connection never replaces the page with a browser error.
 */
(function () {
  "use strict";
  var KEY = "buurt-queue";

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); }
    catch (e) { return []; }
  }

  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }

  function send(item) {
    return fetch(item.action, {
      method: "POST", credentials: "same-origin", redirect: "follow",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: item.body
    });
  }

  function note(text) {
    var box = document.querySelector("[data-queue-status]");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function flush() {
    var items = load();
    if (!items.length) { return; }
    var left = [];
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        return send(item).then(function (response) {
          // A 4xx is final (the form was refused); only keep network failures.
          if (response.status >= 500) { left.push(item); }
        }, function () { left.push(item); });
      });
    });
    chain.then(function () {
      save(left);
      if (left.length < items.length) {
        note(document.body.dataset.queueSent || "Sent.");
      }
    });
  }

  function queueForm(event) {
    var form = event.target;
    if (!form.matches("form[data-queue]")) { return; }
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var item = {action: form.action, body: data.toString(), at: Date.now()};
    send(item).then(function (response) {
      // Show the node's answer (with its message) as if the form had posted.
      return response.text().then(function (html) {
        history.replaceState(null, "", response.url);
        document.open();
        document.write(html);
        document.close();
      });
    }, function () {
      var items = load();
      items.push(item);
      save(items);
      note(form.dataset.queueSaved || "Saved on this phone.");
    });
  }

  function keepFresh() {
    var seconds = parseInt(document.body.dataset.refresh || "0", 10);
    if (!seconds) { return; }
    setInterval(function () {
      fetch("/healthz", {cache: "no-store"}).then(function (response) {
        if (response.ok && !load().length) { window.location.reload(); }
      }, function () { /* offline: keep showing what we have */ });
    }, seconds * 1000);
  }

  document.addEventListener("submit", queueForm);
  window.addEventListener("online", flush);
  flush();
  keepFresh();
}());
