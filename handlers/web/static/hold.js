// Counts down a booking hold: the page says how long the slot stays held,
// and when it has gone the confirm button is disabled (the server refuses an
// expired hold anyway; this only saves a wasted press).
(function () {
  "use strict";
  var el = document.getElementById("hold-countdown");
  if (!el) { return; }
  var expires = Date.parse(el.getAttribute("data-expires"));
  var button = document.getElementById("confirm-booking");
  if (isNaN(expires)) { return; }
  function tick() {
    var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    if (left === 0) {
      el.textContent = "The hold has expired. Book the time again.";
      if (button) { button.disabled = true; }
      return;
    }
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = "Held for " + m + ":" + (s < 10 ? "0" : "") + s + " more.";
    window.setTimeout(tick, 1000);
  }
  tick();
}());
