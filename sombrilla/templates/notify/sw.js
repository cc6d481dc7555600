// Sombrilla's service worker: shows push messages. The payload is already discreet; it never holds details.
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
