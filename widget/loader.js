/* Parley loader. Draws the launcher at once. When the browser is idle it downloads and compiles
   the widget (streaming compilation, off the main thread) but runs none of it; the widget starts
   when the shopper reaches for it (hover, focus, touch), on Parley.open(), at once when a
   conversation is going, or at idle when the store has proactive messages or shows agents who is on the site. A cold tap shows a spinner and the panel's frame before the widget is
   ready. Adds one global, window.Parley: the shop's JavaScript API (docs/embedding.md). Calls a
   snippet queued in `Parley.q` before this ran are replayed; calls before the widget runs are
   kept on `Parley` for it (`_id`, `_attrs`, `wantOpen`) and told to it as `parley:*` window
   events once it does. The relay fills in the __PARLEY_*__ names; `cargo xtask build` minifies
   this file (esbuild) into what the relay serves. */
((w, d) => {
  const stub = w.Parley;
  if (stub && !stub.q) return;
  const s = d.currentScript, data = s.dataset, base = new URL(s.src).origin, store = data.store;
  const P = w.Parley = { store, relay: base, _attrs: {} };
  const tell = (what) => w.dispatchEvent(new Event('parley:' + what));
  const fail = (e) => console.error('Parley:', e);
  // Events for the shop's handlers: `ready`, `open`, `close`, `message`, `unread`.
  const heard = {};
  P._emit = (name, detail) => {
    if (name == 'open' || name == 'close') P._open = name == 'open';
    for (const f of [...(heard[name] || [])]) {
      try { f(detail); } catch (e) { fail(e); }
    }
  };
  P.on = (name, f) => {
    (heard[name] = heard[name] || []).push(f);
    if (name == 'ready' && P.ready) f();
  };
  P.off = (name, f) => { heard[name] = (heard[name] || []).filter((g) => g != f); };
  // Split at run time, so that no minifier folds the names the relay fills in.
  const [js, wasm, css] = '__PARLEY_JS__|__PARLEY_WASM__|__PARLEY_CSS__'.split('|'), at = base + '/assets/';
  if (!js) return fail('no widget built');
  // The widget's language, picked as the widget picks it; its direction is its own, never the page's.
  const ui = ((navigator.languages || []).find((t) => /^(en|zh|ar)/i.test(t) && !/-(tw|hk|mo|hant)/i.test(t)) || 'en')
    .slice(0, 2).toLowerCase();
  const label = { en: 'Open chat', zh: '打开聊天', ar: 'فتح المحادثة' }[ui];
  const remembered = (what) => { try { return localStorage.getItem('parley:' + store + ':' + what) || ''; } catch (e) { return ''; } };
  const host = d.createElement('div');
  host.id = 'parley-chat';
  host.dir = ui == 'ar' ? 'rtl' : 'ltr';
  const root = P.root = host.attachShadow({ mode: 'open' });
  // The button stays hidden until the widget's stylesheet (cached for a year) places it.
  root.innerHTML = `<link rel="stylesheet" href="${at + css}">` +
    '<button class="pl-launch" type="button" aria-expanded="false" hidden>' +
    '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" ' +
    'd="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg></button>';
  const btn = root.querySelector('button');
  btn.ariaLabel = label;
  // The store's colour and corner: as last seen at once, then as the relay says at idle.
  let colours = '', left;
  const dress = ([colour, corner, text]) => {
    if (/^#[0-9a-f]{6}$/i.test(colour) && /^#[0-9a-f]{3,6}$/i.test(text)) {
      colours = `--pl-accent:${colour};--pl-accent-text:${text}`;
      btn.style.background = colour;
      btn.style.color = text;
    }
    if (corner) left = corner == 'left';
    btn.classList.toggle('is-left', !!left);
  };
  dress(remembered('look').split('|'));
  let glue, module, started;
  // Download and compile; run nothing.
  const fetchWidget = () => {
    if (glue) return;
    fetch(`${base}/api/stores/${encodeURIComponent(store)}/widget`).then((r) => r.json())
      .then((s) => {
        dress([s.colour, s.position, s.text_colour]);
        // Proactive messages, or agents who see who is here: the widget runs from now.
        if (s.live || s.proactive && s.proactive[0]) start();
      }, () => {});
    glue = import(at + js);
    module = WebAssembly.compileStreaming(fetch(at + wasm)).catch(() => at + wasm);
  };
  const start = () => {
    if (started) return;
    started = P.t0 = performance.now();
    fetchWidget();
    Promise.all([glue, module])
      .then(([m, compiled]) => m.default({ module_or_path: compiled }))
      .catch((e) => { started = glue = 0; fail(e); });
  };
  // The panel's frame while the widget loads, drawn by the stylesheet: the header with the
  // store's name (an attribute, never HTML) and grey lines.
  const frame = () => {
    if (root.querySelector('.pl-frame')) return;
    const f = d.createElement('div');
    f.className = 'pl-frame pl-panel' + (left ? ' is-left' : '');
    f.style.cssText = colours;
    f.dataset.name = remembered('name');
    f.ariaBusy = 'true';
    root.append(f);
  };
  P.open = () => {
    P.wantOpen = true;
    if (P.loaded) return tell('open');
    btn.classList.add('is-loading');
    btn.ariaBusy = 'true';
    frame();
    // Let the frame reach the screen before the widget's start takes the main thread.
    requestAnimationFrame(() => setTimeout(start));
  };
  P.close = () => {
    P.wantOpen = false;
    if (P.loaded) return tell('close');
    btn.classList.remove('is-loading');
    btn.ariaBusy = null;
    const f = root.querySelector('.pl-frame');
    if (f) f.remove();
  };
  P.isOpen = () => !!(P.loaded ? P._open : P.wantOpen);
  P.toggle = () => (P.isOpen() ? P.close : P.open)();
  // Hiding takes the launcher away; Parley.open() from the shop's own button still works.
  P.hide = () => host.toggleAttribute('data-hidden', true);
  P.show = () => host.toggleAttribute('data-hidden', false);
  // Kept as given; the widget checks them (and says what is wrong) when it uses them.
  P.identify = (who) => {
    P._id = who;
    tell('identify');
  };
  P.setAttributes = (a) => {
    Object.assign(P._attrs, a);
    tell('attributes');
  };
  // The shop's sign-out: forget this browser's visitor, start afresh.
  P.reset = () => {
    for (const n of ['localStorage', 'sessionStorage']) {
      try {
        const kept = w[n];
        Object.keys(kept).filter((k) => k.startsWith('parley:' + store + ':')).forEach((k) => kept.removeItem(k));
      } catch (e) {}
    }
    P._id = null;
    P._attrs = {};
    tell('reset');
  };
  btn.onclick = P.open;
  // A mouse on its way starts the widget; a finger opens at once (its click comes late).
  btn.onfocus = start;
  btn.onpointerenter = (e) => e.pointerType != 'touch' && start();
  btn.onpointerdown = P.open;
  // Single-page shops change the address without a load: the widget hears of every change.
  for (const m of ['pushState', 'replaceState']) {
    const original = history[m];
    history[m] = function () {
      const result = original.apply(this, arguments);
      tell('navigate');
      return result;
    };
  }
  if ('hideLauncher' in data) P.hide();
  for (const [m, a] of (stub && stub.q) || []) if (P[m]) P[m](...a);
  // A link from an email (`#parley=<visitor token>`) opens the chat; the widget takes the token.
  const back = /[#&]parley=/.test(location.hash);
  const mount = () => {
    d.body.append(host);
    P.ready = 1;
    P._emit('ready');
    if ('open' in data || back) P.open();
    // A conversation already going: start straight away so it reconnects.
    if (remembered('conversation')) start();
    else if (w.requestIdleCallback) requestIdleCallback(fetchWidget, { timeout: 5000 });
    else setTimeout(fetchWidget, 1500);
  };
  if (d.body) mount(); else d.addEventListener('DOMContentLoaded', mount);
})(window, document);
