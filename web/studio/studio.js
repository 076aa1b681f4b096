// The staff page /studio: every recorded session, its video (seekable: the server answers
// byte ranges), title and description, publishing to the archive. Talks to the JSON API
// of signaling/recording/http_media.c (/studio/api/...). The list refreshes itself while a
// recording or a composition is in progress.

import { initLang, t, toggleLang, onLangChange, translateDom, getLang } from '../js/i18n.js';
import { LOGO, renderIcons } from '../js/ui/icons.js';
import { toast } from '../js/ui/notify.js';
import { formatDuration, formatDate, DOWNLOAD_ICON } from '../js/recording-strings.js';

const API = '/studio/api/recordings';
const SESSION = '/studio/api/session';
const $ = (sel) => document.querySelector(sel);

const state = {
  list: [],
  selected: null,     // id
  detail: null,       // the selected recording with its manifest
  timer: null,
  loadedVideo: null,  // url in the player
  csrf: null,         // the staff session's CSRF token, sent with every change
};

// The server keeps the session in an HttpOnly cookie; a change also carries the
// session's CSRF token in a header, which no other site's page can set.
async function request(url, { method = 'GET', body } = {}) {
  const headers = {};
  if (body) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const res = await fetch(url, {
    method,
    headers,
    body: body ? JSON.stringify(body) : (method === 'POST' ? '{}' : undefined),
    cache: 'no-store',
    credentials: 'same-origin',
  });
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = new Error((data && data.reason) || `HTTP ${res.status}`);
    err.status = res.status;
    if (res.status === 401 && url !== SESSION) showSignIn();
    throw err;
  }
  return data;
}

function api(path = '', opts) {
  return request(API + path, opts);
}

// ---------------------------------------------------------------- sign-in

function showSignIn(reason) {
  state.csrf = null;
  clearTimeout(state.timer);
  $('#studio-main').hidden = true;
  $('#signout-btn').hidden = true;
  $('#signin').hidden = false;
  const e = $('#signin-error');
  e.hidden = !reason;
  e.textContent = reason ? t('studio.signInFailed', { reason }) : '';
  $('#password-input').focus();
}

function showStudio(session) {
  state.csrf = session.csrf;
  $('#signin').hidden = true;
  $('#studio-main').hidden = false;
  $('#signout-btn').hidden = false;
}

async function signIn(credentials) {
  try {
    showStudio(await request(SESSION, { method: 'POST', body: credentials }));
    return true;
  } catch (err) {
    showSignIn(err.message);
    return false;
  }
}

/** A studio link carries a moderator's token in its #fragment (never sent to a server). */
function tokenFromLink() {
  const m = /^#token=([A-Za-z0-9_.-]+)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname);
  return m[1];
}

function titleOf(r) {
  return r.title || t('studio.untitled', { room: r.room });
}

function statusBadges(r) {
  const out = [];
  const cls = { recording: 'live', interrupted: 'warn', failed: 'bad', stopped: 'ok' }[r.state] || 'ok';
  out.push([`badge badge-${cls}`, t(`studio.state.${r.state}`)]);
  if (r.published) out.push(['badge badge-pub', t('studio.published')]);
  const c = r.composition;
  if (c && c.state === 'running') out.push(['badge badge-info', t('studio.composing', { percent: Math.round(c.progress * 100) })]);
  return out;
}

// ---------------------------------------------------------------- list

function renderList() {
  const ul = $('#list');
  $('#list-empty').hidden = state.list.length > 0;
  ul.replaceChildren();
  for (const r of state.list) {
    const li = document.createElement('li');
    li.className = 'rec-item';
    li.dataset.id = r.id;
    li.setAttribute('aria-current', String(r.id === state.selected));
    const a = document.createElement('a');
    a.href = `#${r.id}`;
    a.className = 'rec-item-link';
    const title = document.createElement('span');
    title.className = 'rec-item-title';
    title.textContent = titleOf(r);
    const meta = document.createElement('span');
    meta.className = 'rec-item-meta';
    meta.textContent = [formatDate(r.started_us, getLang()), r.room, formatDuration(r.duration_s),
      t('studio.participants', { count: r.participants })].join(' · ');
    const badges = document.createElement('span');
    badges.className = 'rec-badges';
    for (const [cls, text] of statusBadges(r)) {
      const b = document.createElement('span');
      b.className = cls;
      b.textContent = text;
      badges.appendChild(b);
    }
    a.append(title, meta, badges);
    li.appendChild(a);
    ul.appendChild(li);
  }
}

async function loadList() {
  try {
    const data = await api();
    state.list = data.recordings || [];
    $('#list-error').hidden = true;
  } catch (err) {
    $('#list-error').hidden = false;
    $('#list-error').textContent = err.status === 403 || err.status === 401 ? t('studio.forbidden') : t('studio.loadFailed');
    return;
  }
  renderList();
  if (!state.selected && state.list.length && !location.hash) select(state.list[0].id, false);
  else if (state.selected) {
    const r = state.list.find((x) => x.id === state.selected);
    const d = state.detail;
    // Refresh the detail when something it shows changed (composition progress, state).
    if (r && d && (r.state !== d.state || JSON.stringify(r.composition) !== JSON.stringify(d.composition) || r.published !== d.published)) {
      loadDetail(state.selected);
    }
  }
  schedule();
}

function schedule() {
  clearTimeout(state.timer);
  const busy = state.list.some((r) => r.state === 'recording' || (r.composition && r.composition.state === 'running'));
  state.timer = setTimeout(loadList, busy ? 2000 : 10000);
}

// ---------------------------------------------------------------- detail

function select(id, push = true) {
  if (push) location.hash = id;
  state.selected = id;
  renderList();
  loadDetail(id);
}

async function loadDetail(id) {
  let d;
  try { d = await api(`/${id}`); } catch (err) {
    if (err.status === 404) { state.selected = null; $('#detail').hidden = true; }
    return;
  }
  if (state.selected !== id) return;
  const first = !state.detail || state.detail.id !== id;
  state.detail = d;
  renderDetail(first);
}

function renderDetail(first) {
  const d = state.detail;
  $('#detail').hidden = false;
  const c = d.composition;
  const video = $('#player');
  const ready = c && c.state === 'done' && c.url;
  if (ready) {
    if (state.loadedVideo !== c.url) {
      video.src = c.url;
      state.loadedVideo = c.url;
    }
    video.hidden = false;
    $('#player-empty').hidden = true;
  } else {
    video.removeAttribute('src');
    video.load();
    state.loadedVideo = null;
    video.hidden = true;
    $('#player-empty').hidden = false;
    const running = c && c.state === 'running';
    $('#player-spinner').hidden = !running;
    $('#player-empty-text').textContent = !c ? (d.state === 'recording' ? t('studio.state.recording') : t('studio.noVideo'))
      : running ? t('studio.composing', { percent: Math.round(c.progress * 100) })
        : c.state === 'failed' ? t('studio.composeFailed', { error: c.error || '?' }) : t('studio.composeQueued');
  }
  const warn = $('#detail-warning');
  warn.hidden = !(d.interruptions > 0);
  warn.textContent = d.interruptions > 0 ? t('studio.interruptions', { count: d.interruptions }) : '';
  if (first) {
    $('#title-input').value = d.title || '';
    $('#desc-input').value = d.description || '';
  }
  const pub = $('#publish-btn');
  pub.textContent = t(d.published ? 'studio.unpublish' : 'studio.publish');
  pub.classList.toggle('btn-primary', !d.published);
  pub.disabled = !ready && !d.published;
  const dl = $('#download-btn');
  dl.hidden = !ready;
  if (ready) {
    dl.href = c.url;
    dl.setAttribute('download', `${(d.title || d.room).replace(/[^\p{L}\p{N} _-]+/gu, '_')}.mp4`);
  }
  $('#compose-btn').disabled = d.state === 'recording' || (c && c.state === 'running');
  $('#delete-btn').disabled = d.state === 'recording' || (c && c.state === 'running');
  renderTracks(d);
}

function renderTracks(d) {
  const ul = $('#tracks');
  ul.replaceChildren();
  const tracks = (d.manifest && d.manifest.tracks) || [];
  for (const tr of tracks) {
    const li = document.createElement('li');
    li.className = 'track-item';
    const kind = tr.label === 'screen' ? 'screen' : tr.kind;
    const name = document.createElement('span');
    name.className = 'track-name';
    name.textContent = `${tr.name} — ${t(`studio.track.${kind}`)} (${tr.codec})`;
    const info = document.createElement('span');
    info.className = 'track-info';
    const dur = tr.start_us && tr.end_us ? formatDuration((tr.end_us - tr.start_us) / 1e6) : '';
    info.textContent = [tr.state, dur].filter(Boolean).join(' · ');
    li.append(name, info);
    if (tr.state !== 'empty') {
      const a = document.createElement('a');
      a.href = tr.url;
      a.textContent = t('studio.track.file');
      a.className = 'track-link';
      li.appendChild(a);
    }
    ul.appendChild(li);
  }
}

// ---------------------------------------------------------------- actions

async function act(path, okKey, opts) {
  const id = state.selected;
  try {
    await api(`/${id}${path}`, { method: 'POST', ...opts });
    if (okKey) toast(t(okKey), { kind: 'success', timeout: 3000 });
  } catch (err) {
    toast(t('studio.error', { reason: err.message }), { kind: 'error' });
  }
  await loadList();
  if (state.selected === id) await loadDetail(id);
}

function bind() {
  $('#meta-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act('', 'studio.saved', { body: { title: $('#title-input').value.trim(), description: $('#desc-input').value.trim() } });
  });
  $('#publish-btn').addEventListener('click', () => {
    const on = !(state.detail && state.detail.published);
    act(on ? '/publish' : '/unpublish', on ? 'studio.publishedToast' : 'studio.unpublishedToast');
  });
  $('#compose-btn').addEventListener('click', () => act('/compose', 'studio.composeQueuedToast'));
  $('#delete-btn').addEventListener('click', async () => {
    if (!window.confirm(t('studio.deleteConfirm'))) return;
    await act('/delete', 'studio.deleted');
    state.selected = null;
    state.detail = null;
    $('#detail').hidden = true;
    history.replaceState(null, '', location.pathname);
  });
  window.addEventListener('hashchange', () => {
    const id = location.hash.slice(1);
    if (id && id !== state.selected) select(id, false);
  });
  $('#signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await signIn({ password: $('#password-input').value })) {
      $('#password-input').value = '';
      start();
    }
  });
  $('#signout-btn').addEventListener('click', async () => {
    try { await request(`${SESSION}/end`, { method: 'POST' }); } catch { /* signed out anyway */ }
    showSignIn();
  });
  $('#lang-btn').addEventListener('click', toggleLang);
  onLangChange(() => {
    translateDom();
    document.title = `${t('studio.title')} — ${t('app.title')}`;
    renderList();
    if (state.detail) renderDetail(false);
  });
}

async function boot() {
  initLang();
  document.title = `${t('studio.title')} — ${t('app.title')}`;
  $('#logo').innerHTML = LOGO;
  $('#download-icon').innerHTML = DOWNLOAD_ICON;
  renderIcons();
  bind();
  const token = tokenFromLink();
  if (token) {
    if (!(await signIn({ token }))) return;
  } else {
    try {
      showStudio(await request(SESSION));
    } catch {
      showSignIn();
      return;
    }
  }
  start();
}

function start() {
  const id = location.hash.slice(1);
  if (id) select(id, false);
  loadList();
}

// For tests: what the page shows.
window.studio = {
  get list() { return state.list; },
  get detail() { return state.detail; },
  get signedIn() { return !!state.csrf; },
  reload: loadList,
};

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
