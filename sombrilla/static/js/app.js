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
  var outbox = document.getElementById("outbox");
  if (outbox && "serviceWorker" in navigator) { offline(outbox, navigator.serviceWorker); }
  var zone = document.getElementById("id_timezone");
  if (zone && !zone.value && window.Intl) { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone; }

  // Offline: the service worker keeps what a member may read with no connection and holds the report or police
  // alert written without one; this shows what waits, asks the worker to send it and refills a refused form.
  function offline(region, workers) {
    var sync = region.getAttribute("data-sync");
    var form = document.querySelector("form[data-offline-queue]");
    var retry = null;
    var delay = 2000;
    var last = {};
    try { last = JSON.parse(localStorage.getItem("offline-sync")) || {}; } catch (e) { last = {}; }
    var send = function (message) {
      workers.ready.then(function (registration) { registration.active.postMessage(message); });
    };
    var line = function (text) {
      var span = document.createElement("span");
      span.textContent = text + " ";
      region.appendChild(span);
    };
    workers.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "outbox") {
        region.textContent = "";
        if (data.waiting) { line(region.getAttribute("data-waiting").replace("{n}", data.waiting)); }
        if (data.sent && !data.waiting) { line(region.getAttribute("data-sent")); }
        if (data.needs.length) { line(region.getAttribute("data-needs")); }
        data.needs.forEach(function (item) {
          var open = document.createElement("a");
          open.href = item.url + "#offline-" + item.id;
          open.textContent = region.getAttribute("data-open");
          region.appendChild(open);
          line("");
        });
        region.hidden = !region.textContent.trim();
        // A connection that is back for the phone is not always back for the site (or its first request
        // fails): while something waits and the phone says it is online, try again, less and less often.
        clearTimeout(retry);
        if (data.waiting && sync && navigator.onLine) {
          retry = setTimeout(function () { send({ type: "flush" }); }, delay);
          delay = Math.min(delay * 2, 60000);
        } else if (!data.waiting) { delay = 2000; }
      } else if (data.type === "refreshed" && data.ok) {
        var done = { key: data.key, at: Date.now(), fullAt: data.full ? Date.now() : last.fullAt };
        localStorage.setItem("offline-sync", JSON.stringify(done));
      } else if (data.type === "item" && data.item && form) {
        refill(form, data.item);
      }
    });
    workers.startMessages();
    // A form kept on the phone is one submission: it gets a fresh one-time key, not the copy's, so two
    // reports written from one kept page stay two.
    var key = form && form.querySelector("[name=submission_key]");
    if (key && window.crypto) {
      var bytes = crypto.getRandomValues(new Uint8Array(24));
      key.value = btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }
    var opened = /^#offline-(\d+)$/.exec(window.location.hash);
    if (!sync) {
      // Not logged in (a session that ran out): only show what waits.
      if (workers.controller) { workers.controller.postMessage({ type: "status" }); }
      return;
    }
    workers.register("/sw.js", { scope: "/" });
    var audio = document.getElementById("offline-audio");
    var refresh = function (full) {
      send({ type: "refresh", key: sync, full: full, audio: localStorage.getItem("offline-audio") === "1" });
    };
    // At most once an hour; everything again after a new login or language (the key) or once a day.
    if (last.key !== sync || !(Date.now() - last.fullAt < 86400000)) { refresh(true); }
    else if (!(Date.now() - last.at < 3600000)) { refresh(false); }
    if (audio) {
      audio.checked = localStorage.getItem("offline-audio") === "1";
      document.getElementById("offline-audio-choice").hidden = false;
      audio.addEventListener("change", function () {
        localStorage.setItem("offline-audio", audio.checked ? "1" : "0");
        refresh(false);
      });
    }
    if (opened && form) { send({ type: "item", id: opened[1] }); }
    send({ type: "flush" });
    window.addEventListener("online", function () { delay = 2000; send({ type: "flush" }); });
  }

  // Puts back every field of a kept form as it was typed (but the page's own, current CSRF token), and sends
  // it again as the same kept form, which the worker then forgets once it is accepted.
  function refill(form, item) {
    var values = {};
    new URLSearchParams(item.body).forEach(function (value, name) { (values[name] = values[name] || []).push(value); });
    Array.prototype.forEach.call(form.elements, function (field) {
      var given = values[field.name] || [];
      if (!field.name || field.name === "csrfmiddlewaretoken") { return; }
      if (field.type === "checkbox" || field.type === "radio") { field.checked = given.indexOf(field.value) !== -1; }
      else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) { option.selected = given.indexOf(option.value) !== -1; });
      } else if (field.tagName !== "BUTTON") { field.value = given.length ? given.shift() : ""; }
    });
    form.action = item.url + "?offline=" + item.id;
  }
})();
