// The same-day queue, live: every 3 seconds ask whether the queue changed
// (the server answers 204 when it has not) and, when it has, swap in the
// list it sends. Without JavaScript the page works as it is, with its reload
// link. No framework, no inline script: the CSP allows only our own files.
(function () {
  'use strict';
  var live = document.getElementById('queue-live');
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute('data-live');
  var version = live.getAttribute('data-version') || '';
  var busy = false;
  var last = Date.now();
  var EVERY = 3000;
  // Waiting times are shown in minutes: refresh them now and then even when
  // nobody has joined or left the queue.
  var FRESHEN = 60000;

  // Someone typing a reason or with a form open keeps what they see.
  function inUse() {
    var a = document.activeElement;
    if (a && live.contains(a) && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA')) { return true; }
    return live.querySelector('details[open]') !== null;
  }

  function poll() {
    if (busy || document.hidden || inUse()) { return; }
    busy = true;
    var stale = Date.now() - last > FRESHEN;
    var q = stale ? '' : '?v=' + encodeURIComponent(version);
    fetch(url + q, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, cache: 'no-store' })
      .then(function (r) {
        if (r.status !== 200) { return null; }
        var v = r.headers.get('X-Queue-Version');
        return r.text().then(function (html) {
          if (v) { version = v; }
          live.innerHTML = html;
          last = Date.now();
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { busy = false; });
  }

  setInterval(poll, EVERY);
  document.addEventListener('visibilitychange', poll);
}());
