// Recording in the room: the indicator everyone sees ("Recording" with a red dot, in the
// header) and the start/stop control in the toolbar for those who may record (the
// room's `recording` setting and the `record` permission, docs/protocol.md).
//
// Self-contained: it builds its own DOM next to the room's header and toolbar, loads its
// stylesheet, and listens to the signaling connection it is attached to, so app.js only
// calls attach() on entering a room and detach() on leaving.

import { t, onLangChange } from '../i18n.js';
import { toast } from './notify.js';
import { REC_ICON, STOP_ICON } from '../recording-strings.js';

const state = {
  sig: null,
  onMessage: null,
  rec: { state: 'off' },
  perms: [],
  busy: false,
  built: false,
  timer: null,
};

function $(sel) { return document.querySelector(sel); }

function build() {
  if (state.built) return;
  state.built = true;
  if (!document.querySelector('link[href$="css/recordings.css"]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL('../../css/recordings.css', import.meta.url).pathname;
    document.head.appendChild(link);
  }
  const ind = document.createElement('span');
  ind.id = 'rec-indicator';
  ind.className = 'rec-indicator';
  ind.setAttribute('role', 'status');
  ind.hidden = true;
  ind.innerHTML = '<span class="rec-dot" aria-hidden="true"></span><span class="rec-label"></span>';
  const info = $('#room-info');
  if (info) info.appendChild(ind);

  const tool = document.createElement('div');
  tool.className = 'tool';
  tool.id = 'tool-rec';
  tool.hidden = true;
  tool.innerHTML = '<button type="button" class="round-btn" id="rec-btn"></button>'
    + '<span class="tool-caption" aria-hidden="true" id="rec-caption"></span>';
  const before = $('#tool-invite') || $('#leave-btn')?.closest('.tool');
  if (before && before.parentNode) before.parentNode.insertBefore(tool, before);
  tool.querySelector('#rec-btn').addEventListener('click', toggle);
  onLangChange(render);
}

function canControl() {
  const policy = state.rec.policy || 'moderators';
  if (policy === 'disabled') return false;
  return policy === 'allowed' || state.perms.includes('record');
}

function render() {
  if (!state.built) return;
  const on = state.rec.state === 'recording' || state.rec.state === 'starting';
  const ind = $('#rec-indicator');
  ind.hidden = !on || !state.sig;
  ind.classList.toggle('starting', state.rec.state === 'starting');
  const label = state.rec.state === 'starting' ? t('rec.badgeStarting') : t('rec.badge');
  ind.querySelector('.rec-label').textContent = label;
  if (state.rec.since_us) {
    const time = new Date(state.rec.since_us / 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    ind.title = t('rec.inProgress', { time });
  }
  ind.setAttribute('aria-label', label);
  const tool = $('#tool-rec');
  tool.hidden = !state.sig || !canControl();
  const btn = $('#rec-btn');
  btn.innerHTML = on ? STOP_ICON : REC_ICON;
  btn.classList.toggle('rec-on', on);
  btn.disabled = state.busy;
  btn.setAttribute('aria-pressed', String(on));
  const key = on ? 'rec.stop' : 'rec.start';
  btn.setAttribute('aria-label', t(key));
  btn.title = t(key);
  $('#rec-caption').textContent = t(on ? 'rec.captionOn' : 'rec.caption');
}

function reasonText(reason) {
  const key = `rec.reason.${reason}`;
  const s = t(key);
  return s === key ? reason : s;
}

/** A new recording state from the server; `announce` tells the user what changed. */
function setState(rec, announce) {
  if (!rec || typeof rec.state !== 'string') return;
  const was = state.rec.state;
  state.rec = { ...state.rec, ...rec };
  if (rec.state === 'off') { delete state.rec.since_us; delete state.rec.by; }
  render();
  if (!announce || was === rec.state) return;
  if (rec.state === 'recording' && was !== 'recording') {
    toast(rec.by ? t('rec.startedBy', { name: rec.by }) : t('rec.started'), { kind: 'warning', timeout: 6000 });
  } else if (rec.state === 'off' && was !== 'off') {
    if (rec.reason) toast(t('rec.stoppedBy', { reason: reasonText(rec.reason) }), { kind: 'error' });
    else toast(t('rec.stopped'), { kind: 'info', timeout: 4000 });
  }
}

async function request(type) {
  if (!state.sig) throw new Error('not in a room');
  state.busy = true;
  render();
  try {
    const data = await state.sig.request(type, {});
    if (data && data.state) setState(data, false);
    return data;
  } catch (err) {
    toast(t('rec.failed', { reason: err.reason || err.message || err.code }), { kind: 'error' });
    throw err;
  } finally {
    state.busy = false;
    render();
  }
}

function toggle() {
  const on = state.rec.state === 'recording' || state.rec.state === 'starting';
  request(on ? 'recording_stop' : 'recording_start').catch(() => {});
}

/** Entering a room: `data` is the join reply (room_state.recording, perms). */
export function attach(sig, data) {
  build();
  detach();
  state.sig = sig;
  state.perms = (data && Array.isArray(data.perms)) ? data.perms : [];
  state.rec = { state: 'off' };
  state.onMessage = (e) => {
    const msg = e.detail || {};
    if (msg.type === 'recording_state') setState(msg, true);
    else if (msg.type === 'room_updated' && msg.room && msg.room.recording) setState(msg.room.recording, true);
    else if (msg.type === 'participant_updated' && msg.participant && msg.participant.id === data.participant_id
             && Array.isArray(msg.participant.perms)) { state.perms = msg.participant.perms; render(); }
  };
  sig.addEventListener('message', state.onMessage);
  setState((data && data.room_state && data.room_state.recording) || { state: 'off' }, false);
}

export function detach() {
  if (state.sig && state.onMessage) state.sig.removeEventListener('message', state.onMessage);
  state.sig = null;
  state.onMessage = null;
  render();
}

/** For tests (window.tb.recording). */
export const recordingApi = {
  get state() { return state.rec.state; },
  get info() { return { ...state.rec }; },
  get canControl() { return canControl(); },
  start() { return request('recording_start'); },
  stop() { return request('recording_stop'); },
};
