// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var target = document.body.getAttribute("data-quick-exit");
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    // replace(), not assign(): the page we leave is not kept in history, so Back does not return to it.
    try { document.body.innerHTML = ""; document.title = ""; } catch (e) { /* nothing to hide */ }
    window.location.replace(target);
  }
  var button = document.getElementById("quick-exit");
  if (button) { button.addEventListener("click", quickExit); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { quickExit(event); }
  });
  var language = document.getElementById("lang-select");
  if (language && language.form) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    el.addEventListener("click", function () {
      var source = document.getElementById(el.getAttribute("data-copy"));
      if (source && navigator.clipboard) { navigator.clipboard.writeText(source.textContent.trim()); }
    });
  });
  var push = document.getElementById("push");
  if (push && "serviceWorker" in navigator && "PushManager" in window) {
    push.hidden = false;
    var status = document.getElementById("push-status");
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    var key = push.getAttribute("data-key");
    var keyBytes = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
    var post = function (url, fields) {
      var body = new URLSearchParams(fields);
      body.append("csrfmiddlewaretoken", csrf);
      return fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (j) { status.textContent = j.detail; });
    };
    var registration = navigator.serviceWorker.register("/sw.js", { scope: "/" });
    document.getElementById("push-on").addEventListener("click", function () {
      registration.then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes });
      }).then(function (sub) {
        var json = sub.toJSON();
        return post(push.getAttribute("data-on"), { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
      }).catch(function (e) { status.textContent = e.message; });
    });
    document.getElementById("push-off").addEventListener("click", function () {
      registration.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        if (!sub) { return; }
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () { return post(push.getAttribute("data-off"), { endpoint: endpoint }); });
      });
    });
  }
  // SOS: the location goes only when the member ticks the box, and the SOS never waits long for it.
  if (navigator.geolocation) {
    document.querySelectorAll("form.sos").forEach(function (form) {
      var box = form.querySelector("[name=add_location]");
      var sent = false;
      box.parentNode.hidden = false;
      form.addEventListener("submit", function (event) {
        if (!box.checked || sent) { return; }
        event.preventDefault();
        sent = true;
        var gone = false;
        var go = function () { if (!gone) { gone = true; form.submit(); } };
        setTimeout(go, 8000); // a permission prompt left unanswered calls neither callback
        navigator.geolocation.getCurrentPosition(function (p) {
          form.lat.value = p.coords.latitude; form.lon.value = p.coords.longitude; form.accuracy.value = Math.round(p.coords.accuracy);
          go();
        }, go, { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 });
      });
    });
  }
  var zone = document.getElementById("id_timezone");
  if (zone && !zone.value && window.Intl) { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone; }
})();
