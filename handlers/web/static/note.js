// The session note editor: save the draft a few seconds after typing stops
// and when a field loses focus, with the version the page last saw, so a save
// from another tab is reported rather than overwritten. Show the PHQ-9 item 9
// risk alert as soon as it is answered above 0, and ask before signing.
// Without JavaScript the form works as it is, with its Save draft button.
// No framework, no inline script: the CSP allows only our own files.
(function () {
  'use strict';
  var form = document.getElementById('note-form');
  if (!form || !window.fetch || !window.URLSearchParams) { return; }
  var status = document.getElementById('note-saved');
  var version = form.querySelector('input[name="version"]');
  var noteID = form.querySelector('input[name="note_id"]');
  var EVERY = 4000;
  var timer = null;
  var dirty = false;
  var busy = false;
  var stopped = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    timer = null;
    if (!dirty || stopped) { return; }
    if (busy) { schedule(); return; }
    busy = true;
    dirty = false;
    var data = new URLSearchParams(new FormData(form));
    var url = form.getAttribute('data-draft-url');
    if (!url) {
      url = form.getAttribute('action');
      data.set('action', 'autosave');
    }
    fetch(url, {
      method: 'POST', credentials: 'same-origin', body: data,
      headers: { 'Accept': 'application/json' }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; });
    }).then(function (res) {
      if (res.ok) {
        version.value = String(res.body.version);
        noteID.value = res.body.id;
        form.setAttribute('data-draft-url', res.body.draft_url);
        say('Saved ' + res.body.saved);
        return;
      }
      if (res.status === 409) { stopped = true; }
      say('Not saved: ' + (res.body.error || 'try the Save draft button.'));
    }).catch(function () {
      dirty = true;
      say('Not saved yet: no connection. Trying again.');
      schedule();
    }).then(function () { busy = false; });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, EVERY);
  }

  // Measures and the handover are kept with the signing, not the draft.
  function drafted(el) {
    var n = el.name || '';
    return n === 'free_text' || n === 'restricted' || n.indexOf('field_') === 0;
  }

  form.addEventListener('input', function (e) {
    if (drafted(e.target)) { dirty = true; schedule(); }
    riskCheck();
  });
  form.addEventListener('change', function (e) {
    if (drafted(e.target)) { dirty = true; schedule(); }
    riskCheck();
  });
  form.addEventListener('focusout', function (e) {
    if (drafted(e.target) && dirty) { save(); }
  });

  var alert = document.getElementById('risk-alert-live');
  function riskCheck() {
    if (!alert) { return; }
    var item9 = form.querySelector('input[name="m_phq9_9"]:checked');
    alert.hidden = !(item9 && item9.value !== '0');
  }
  riskCheck();

  var sign = document.getElementById('sign');
  if (sign) {
    sign.addEventListener('click', function (e) {
      if (!window.confirm(sign.getAttribute('data-confirm'))) { e.preventDefault(); }
    });
  }
})();
