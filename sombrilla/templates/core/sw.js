{% comment %}
The site's one service worker. It shows push messages, keeps what a member may read without a connection
(only what sombrilla.core.offline allows) and holds a report or police alert written offline until it can go.
Nothing in the served file may name the project: a deployment may call itself anything (see test_discreet).
{% endcomment %}"use strict";
var CONFIG = {{ config|safe }};
var SHELL = "shell-" + CONFIG.version;
var PAGES = "pages";
var DB = "offline";
var STORE = "outbox";
var ORIGIN = self.location.origin;
// 502-504 come from a proxy whose application server is down: as good as no connection.
var UNREACHABLE = [502, 503, 504];
// Bumped when the phone forgets everything at logout: a replay or a refresh still under way must not write back.
var generation = 0;

// Push: the payload is already discreet; it never holds details.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  // The tag is the delivery's idempotency key: a repeated message replaces the first instead of showing twice.
  event.waitUntil(self.registration.showNotification(data.title || "{{ site_name|escapejs }}", {
    body: data.body || "", tag: data.tag || "update", data: { url: data.url || "/inbox/" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(CONFIG.shell);
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== SHELL && name !== PAGES; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

var ALLOWED = CONFIG.allowed.map(function (pattern) { return new RegExp(pattern); });
function allowed(url) {
  var parsed = new URL(url, ORIGIN);
  return parsed.origin === ORIGIN && ALLOWED.some(function (pattern) { return pattern.test(parsed.pathname); });
}

function cached(url) {
  // Pages vary on cookies and language, which a phone with one member and the page's own language already fixes.
  return caches.match(url, { ignoreVary: true });
}

function keepable(response) {
  return response.ok && response.type === "basic" && !response.redirected;
}

// Navigations: the network first, so a member online always sees the current page; without it the copy kept
// on the phone, and else the offline page. A page read online refreshes its copy only if the phone keeps it.
function navigate(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (keepable(response) && allowed(request.url)) {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES).then(function (cache) {
        return cache.match(request.url, { ignoreVary: true }).then(function (old) {
          return old ? cache.put(request.url, copy) : undefined;
        });
      }));
    }
    return response;
  }, function () {
    return cached(request.url).then(function (response) {
      return response || cached(CONFIG.offline);
    }).then(function (response) { return response || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== ORIGIN) { return; }
  if (request.method === "POST" && request.mode === "navigate") {
    if (CONFIG.queue.indexOf(url.pathname) !== -1) { event.respondWith(sendOrKeep(request, url)); }
    else if (url.pathname === CONFIG.logout) { event.respondWith(logOut(request)); }
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") { event.respondWith(navigate(event)); return; }
  // Hashed static files never change; audio kept on the phone saves the member's data every time it plays.
  if (url.pathname.indexOf(CONFIG.static) === 0 || allowed(request.url)) {
    event.respondWith(cached(request.url).then(function (response) { return response || fetch(request); }));
  }
});

// The outbox: forms written without a connection, kept in IndexedDB until the server accepts them.
function store(mode, work) {
  return new Promise(function (resolve, reject) {
    var open = indexedDB.open(DB, 1);
    open.onupgradeneeded = function () { open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
    open.onerror = function () { reject(open.error); };
    open.onsuccess = function () {
      var db = open.result;
      var tx = db.transaction(STORE, mode);
      var request = work(tx.objectStore(STORE));
      // Closed at once: an open connection would hold up deleting the database at logout.
      tx.oncomplete = function () { db.close(); resolve(request && request.result); };
      tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
    };
  });
}
function items() { return store("readonly", function (s) { return s.getAll(); }); }

function announce(sent) {
  return items().then(function (list) {
    var state = {
      type: "outbox",
      waiting: list.filter(function (item) { return item.state === "waiting"; }).length,
      needs: list.filter(function (item) { return item.state === "needs"; }).map(function (item) {
        return { id: item.id, url: item.url };
      }),
      sent: sent || 0
    };
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage(state); });
    });
  });
}

// A form that could not go is kept with everything typed (its CSRF token and one-time key too, so a replay is
// the same submission) and the member sees that it waits. `again` is the id of a kept form sent once more.
function sendOrKeep(request, url) {
  var again = Number(url.searchParams.get("offline")) || null;
  return request.clone().text().then(function (body) {
    var item = { url: url.pathname, body: body, time: Date.now() };
    if (again) { item.id = again; }
    var put = function (state) {
      item.state = state;
      return store("readwrite", function (s) { return s.put(item); }).then(function () { return announce(); });
    };
    return fetch(request).then(function (response) {
      return UNREACHABLE.indexOf(response.status) === -1 ? response : Promise.reject(new Error("unreachable"));
    }).then(function (response) {
      // A redirect is the form accepted.
      if (response.type === "opaqueredirect") {
        if (!again) { return response; }
        return store("readwrite", function (s) { return s.delete(again); }).then(function () { return announce(); }).then(function () { return response; });
      }
      // Refused, it shows its errors; a kept form, or one whose session was gone (403), stays kept as well.
      if (again || response.status === 403) { return put("needs").then(function () { return response; }); }
      return response;
    }, function () {
      return put("waiting").then(function () {
        if (self.registration.sync) { self.registration.sync.register("outbox").catch(function () { /* the next page load flushes */ }); }
        return Response.redirect(CONFIG.saved, 303);
      });
    });
  });
}

function replay(item) {
  return fetch(item.url, {
    method: "POST", body: item.body, credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" }
  }).then(function (response) {
    if (response.body) { response.body.cancel(); }  // only where it landed matters, not the page
    if (UNREACHABLE.indexOf(response.status) !== -1) { return "offline"; }
    var landed = new URL(response.url).pathname;
    if (response.redirected && CONFIG.auth.indexOf(landed) === -1) { return "sent"; }
    // Refused (its errors), 403 (the session and its CSRF token are gone) or sent to log in: the member decides.
    return "needs";
  }, function () { return "offline"; });
}

// One flush at a time: the page's `online` event, a page load and Background Sync may all ask at once, and
// a form replayed twice would be sent twice.
var flushing = null;
function flush() {
  if (flushing) { return flushing; }
  var sent = 0;
  var offline = false;
  var started = generation;
  flushing = items().then(function (list) {
    return list.filter(function (item) { return item.state === "waiting"; }).reduce(function (chain, item) {
      return chain.then(function () {
        if (offline || started !== generation) { return undefined; }
        return replay(item).then(function (outcome) {
          if (started !== generation) { return undefined; }
          if (outcome === "offline") { offline = true; return undefined; }
          if (outcome === "sent") { sent += 1; return store("readwrite", function (s) { return s.delete(item.id); }); }
          item.state = "needs";
          return store("readwrite", function (s) { return s.put(item); });
        });
      });
    }, Promise.resolve());
  }).then(function () { return started === generation ? announce(sent) : undefined; }).then(function () {
    flushing = null;
    if (offline) { throw new Error("still offline"); }  // so that Background Sync tries again later
  }, function (error) { flushing = null; throw error; });
  return flushing;
}
self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") { event.waitUntil(flush()); }
});

// What the phone keeps: the list comes from the server (already filtered), and is filtered again here.
// `full` fetches every page again (new language, new login, once a day); otherwise only what is missing, so
// the hourly check costs the member one small request when nothing changed. Audio is never fetched twice.
function keep(cache, urls, started) {
  return urls.reduce(function (chain, url) {
    return chain.then(function () {
      if (started !== generation) { return undefined; }  // logged out meanwhile
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        return keepable(response) && started === generation ? cache.put(url, response) : undefined;
      });
    });
  }, Promise.resolve());
}
function refresh(message) {
  var started = generation;
  return fetch(CONFIG.list + (message.audio ? "?audio=1" : ""), { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (!keepable(response)) { throw new Error("not a member's list"); }
      return response.json();
    }).then(function (data) {
      var wanted = data.urls.filter(allowed).map(function (url) { return new URL(url, ORIGIN).href; });
      return caches.open(PAGES).then(function (cache) {
        return cache.keys().then(function (requests) {
          return Promise.all(requests.map(function (request) {
            return cache.match(request).then(function (response) {
              var page = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
              return { url: request.url, page: page };
            });
          }));
        }).then(function (kept) {
          var have = {};
          kept.forEach(function (entry) { have[entry.url] = entry; });
          var gone = kept.filter(function (entry) { return wanted.indexOf(entry.url) === -1; });
          var fetchNow = wanted.filter(function (url) { return !have[url] || (message.full && have[url].page); });
          return Promise.all(gone.map(function (entry) { return cache.delete(entry.url); })).then(function () {
            return keep(cache, fetchNow, started);
          });
        });
      });
    }).then(function () {
      if (!message.full || started !== generation) { return undefined; }
      return caches.open(SHELL).then(function (cache) { return keep(cache, [CONFIG.offline, CONFIG.saved], started); });
    });
}

// Logging out leaves nothing on the phone. The server's Clear-Site-Data says so too, but the worker does not
// count on it: it also logs out without a connection, so a phone taken away offline shows nothing kept.
function forget() {
  generation += 1;
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) { return caches.delete(name); }));
  }).then(function () {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  });
}
function logOut(request) {
  var page = cached(CONFIG.offline);
  return fetch(request).catch(function () {
    return page.then(function (response) { return response || Response.error(); });
  }).then(function (response) {
    return forget().then(function () { return self.registration.unregister(); }).then(function () { return response; });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (message) { if (event.source) { event.source.postMessage(message); } };
  if (data.type === "flush") {
    event.waitUntil(flush().catch(function () { /* still offline: the outbox says so */ }));
  } else if (data.type === "status") {
    event.waitUntil(announce());
  } else if (data.type === "refresh") {
    event.waitUntil(refresh(data).then(function () { return true; }, function () { return false; }).then(function (ok) {
      reply({ type: "refreshed", ok: ok, key: data.key, full: data.full });
    }));
  } else if (data.type === "item") {
    event.waitUntil(store("readonly", function (s) { return s.get(Number(data.id)); }).then(function (item) {
      reply({ type: "item", item: item || null });
    }));
  }
});
