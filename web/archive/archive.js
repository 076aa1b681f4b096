// The public page /archive: published recordings with a player and a download link.
// Reads /archive/api/recordings (signaling/recording/http_media.c); the videos come from
// /archive/media/<id>.mp4 with byte ranges, so seeking works.

import { initLang, t, toggleLang, onLangChange, translateDom, getLang } from '../js/i18n.js';
import { LOGO, renderIcons } from '../js/ui/icons.js';
import { formatDuration, formatDate, DOWNLOAD_ICON } from '../js/recording-strings.js';

const $ = (sel) => document.querySelector(sel);
const state = { list: [], current: null };

function titleOf(r) {
  return r.title || t('studio.untitled', { room: r.room });
}

function metaOf(r) {
  return [formatDate(r.published_us || r.started_us, getLang()),
    t('archive.duration', { time: formatDuration(r.duration_s) })].join(' · ');
}

function fileName(r) {
  return `${titleOf(r).replace(/[^\p{L}\p{N} _-]+/gu, '_')}.mp4`;
}

function show(r, play = false) {
  state.current = r.id;
  $('#feature').hidden = false;
  const v = $('#player');
  if (v.getAttribute('src') !== r.url) v.src = r.url;
  $('#feature-title').textContent = titleOf(r);
  $('#feature-meta').textContent = metaOf(r);
  $('#feature-desc').textContent = r.description || '';
  $('#feature-desc').hidden = !r.description;
  const dl = $('#feature-download');
  dl.href = r.url;
  dl.setAttribute('download', fileName(r));
  for (const li of document.querySelectorAll('.archive-item')) li.setAttribute('aria-current', String(li.dataset.id === r.id));
  if (play) v.play().catch(() => {});
}

function render() {
  const ul = $('#list');
  ul.replaceChildren();
  $('#empty').hidden = state.list.length > 0;
  for (const r of state.list) {
    const li = document.createElement('li');
    li.className = 'archive-item';
    li.dataset.id = r.id;
    const btn = document.createElement('a');
    btn.href = `#${r.id}`;
    btn.className = 'archive-item-link';
    const title = document.createElement('span');
    title.className = 'rec-item-title';
    title.textContent = titleOf(r);
    const meta = document.createElement('span');
    meta.className = 'rec-item-meta';
    meta.textContent = metaOf(r);
    btn.append(title, meta);
    if (r.description) {
      const d = document.createElement('span');
      d.className = 'archive-item-desc';
      d.textContent = r.description;
      btn.appendChild(d);
    }
    const dl = document.createElement('a');
    dl.className = 'btn btn-small archive-download';
    dl.href = r.url;
    dl.setAttribute('download', fileName(r));
    dl.innerHTML = DOWNLOAD_ICON;
    const label = document.createElement('span');
    label.textContent = `${t('archive.download')} (${t('archive.size', { size: (r.size / 1e6).toFixed(1) })})`;
    dl.appendChild(label);
    li.append(btn, dl);
    ul.appendChild(li);
  }
  const want = location.hash.slice(1);
  const pick = state.list.find((r) => r.id === want) || state.list.find((r) => r.id === state.current) || state.list[0];
  if (pick) show(pick);
  else $('#feature').hidden = true;
}

async function load() {
  try {
    const res = await fetch('/archive/api/recordings', { cache: 'no-store' });
    const data = await res.json();
    state.list = data.recordings || [];
  } catch {
    state.list = [];
  }
  render();
}

function boot() {
  initLang();
  document.title = `${t('archive.title')} — ${t('app.title')}`;
  $('#logo').innerHTML = LOGO;
  $('#download-icon').innerHTML = DOWNLOAD_ICON;
  renderIcons();
  $('#lang-btn').addEventListener('click', toggleLang);
  onLangChange(() => {
    translateDom();
    document.title = `${t('archive.title')} — ${t('app.title')}`;
    render();
  });
  window.addEventListener('hashchange', () => {
    const r = state.list.find((x) => x.id === location.hash.slice(1));
    if (r) show(r, true);
  });
  load();
}

// For tests.
window.archive = { get list() { return state.list; }, reload: load };

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
