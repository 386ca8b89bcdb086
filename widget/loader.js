/* Parley loader: draws the launcher at once; loads the widget when the browser is idle or the
   shopper reaches for it. Adds one global, window.Parley. The relay fills in the __PARLEY_*__ names. */
(function (w, d) {
  if (w.Parley) return;
  var s = d.currentScript, base = new URL(s.src).origin, store = s.getAttribute('data-store');
  var P = w.Parley = { store: store, relay: base, wantOpen: false, loaded: false };
  var js = '__PARLEY_JS__', wasm = '__PARLEY_WASM__', css = '__PARLEY_CSS__';
  if (!js) return console.error('Parley: the widget is not built into this relay');
  var host = d.createElement('div');
  host.id = 'parley-chat';
  var root = host.attachShadow({ mode: 'open' });
  P.host = host; P.root = root;
  root.innerHTML = '<style>:host{all:initial}.pl-launch{position:fixed;right:20px;bottom:20px;' +
    'z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;background:#1f5eff;color:#fff;' +
    'cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}</style>' +
    '<link rel="stylesheet" href="' + base + '/assets/' + css + '">' +
    '<button class="pl-launch" type="button" aria-label="Open chat" aria-expanded="false">' +
    '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" ' +
    'd="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg></button>';
  var btn = root.querySelector('button'), started, look;
  // The store's colour and corner, as the widget last saw them.
  try { look = (localStorage.getItem('parley:' + store + ':look') || '').split('|'); } catch (e) { look = []; }
  if (/^#[0-9a-f]{6}$/i.test(look[0])) btn.style.background = look[0];
  if (/^#[0-9a-f]{3,6}$/i.test(look[2])) btn.style.color = look[2];
  if (look[1] == 'left') { btn.style.right = 'auto'; btn.style.left = '20px'; }
  function load() {
    if (started) return;
    started = 1;
    P.t0 = performance.now();
    import(base + '/assets/' + js)
      .then(function (m) { return m.default({ module_or_path: base + '/assets/' + wasm }); })
      .catch(function (e) { started = 0; console.error('Parley: could not load the widget', e); });
  }
  btn.addEventListener('click', function () { P.wantOpen = true; btn.setAttribute('aria-busy', 'true'); load(); });
  btn.addEventListener('pointerenter', load);
  btn.addEventListener('focus', load);
  function mount() {
    d.body.appendChild(host);
    // A conversation already going: load straight away so it reconnects.
    var going = false;
    try { going = !!localStorage.getItem('parley:' + store + ':conversation'); } catch (e) {}
    if (going) load();
    else (w.requestIdleCallback || function (f) { setTimeout(f, 1500); })(load, { timeout: 5000 });
  }
  if (d.body) mount(); else d.addEventListener('DOMContentLoaded', mount);
})(window, document);
