// Telebridge web client: UI state and wiring. See docs/protocol.md.
//
// States: idle (join page) → joining → joined ⇄ reconnecting → left.
// window.tb exposes the state for automated tests (see the bottom of this file).

import { initLang, t, toggleLang, onLangChange, translateDom } from './i18n.js';
import { Signaling, defaultSignalingUrl } from './signaling.js';
import { Session } from './session.js';
import { startLevelMeter, stopStream } from './media.js';
import { renderIcons, LOGO } from './ui/icons.js';
import { toast, showBanner, clearToasts } from './ui/notify.js';
import { RoomView } from './ui/room.js';
import { JoinView, rememberName } from './ui/join.js';

const params = new URLSearchParams(location.search);
const $ = (sel) => document.querySelector(sel);

const app = {
  state: 'idle',
  room: '',
  name: '',
  participantId: null,
  participants: new Map(),      // remote participants: id -> {id, name, audio, video, tracks}
  sig: null,
  session: null,
  pendingEvents: [],
  localStream: null,
  micOn: true,
  camOn: true,
  firstFrameAt: null,
  joinClickedAt: null,
  joinPromise: null,
  soundBlocked: false,
  pcStates: { pub: 'new', sub: 'new' },
  statsTimer: null,
  stopLocalMeter: () => {},
};

let joinView;
let roomView;

// ---------------------------------------------------------------- views

function setState(state) {
  app.state = state;
  document.body.dataset.state = state;
}

function showView(name) {
  document.body.dataset.view = name;
  for (const v of ['join', 'room', 'left']) $(`#view-${v}`).hidden = v !== name;
  $('#room-info').hidden = name !== 'room';
}

function renderHeader() {
  $('#room-name').textContent = app.room;
  const count = app.participants.size + 1;
  $('#room-count-text').textContent = t('room.participants', { count });
  $('#room-count-num').textContent = String(count);
  $('#room-count').setAttribute('aria-label', t('room.participants', { count }));
  $('#alone-card').hidden = !(app.state === 'joined' && app.participants.size === 0);
  const states = Object.values(app.pcStates);
  const dot = $('#conn-dot');
  let cls = 'ok';
  let key = 'room.status.connected';
  if (app.state === 'reconnecting' || states.includes('failed')) { cls = 'bad'; key = 'room.status.poor'; }
  else if (states.some((s) => s === 'connecting' || s === 'disconnected')) { cls = 'wait'; key = 'room.status.connecting'; }
  dot.className = `conn-dot conn-${cls}`;
  dot.setAttribute('aria-label', t(key));
  dot.title = t(key);
}

function renderToolbar() {
  const hasA = !!(app.localStream && app.localStream.getAudioTracks().length);
  const hasV = !!(app.localStream && app.localStream.getVideoTracks().length);
  const set = (btn, available, on, onKey, offKey, noneKey, iconOn, iconOff) => {
    btn.disabled = !available;
    btn.classList.toggle('off', !available || !on);
    btn.dataset.state = !available ? 'unavailable' : on ? 'on' : 'off';
    const label = t(!available ? noneKey : on ? onKey : offKey);
    btn.setAttribute('aria-label', label);
    btn.title = label;
    btn.querySelector('[data-icon]').dataset.icon = available && on ? iconOn : iconOff;
    renderIcons(btn);
  };
  set($('#mic-btn'), hasA, app.micOn, 'room.micOn', 'room.micOff', 'room.noMicDevice', 'mic', 'micOff');
  set($('#cam-btn'), hasV, app.camOn, 'room.camOn', 'room.camOff', 'room.noCamDevice', 'cam', 'camOff');
}

function renderLocalTile() {
  roomView.setLocal({
    name: app.name,
    stream: app.localStream,
    audio: localAudioState(),
    video: localVideoState(),
  });
}

function localAudioState() {
  return !!(app.localStream && app.localStream.getAudioTracks().length) && app.micOn;
}

function localVideoState() {
  return !!(app.localStream && app.localStream.getVideoTracks().length) && app.camOn;
}

function updateBanner() {
  if (app.state === 'reconnecting') {
    showBanner(t('room.reconnecting'), { kind: 'warning', spinner: true });
  } else if (app.state === 'joined' && app.soundBlocked) {
    showBanner(t('room.soundBlocked'), {
      kind: 'info',
      action: { label: t('room.enableSound'), onClick: enableSound },
    });
  } else {
    showBanner(null);
  }
}

async function enableSound() {
  const ok = await roomView.resumeAudio();
  app.soundBlocked = !ok;
  updateBanner();
}

// ---------------------------------------------------------------- join

function errorKeyFor(err) {
  if (!err) return ['err.unreachable', {}];
  if (err.code === 'unreachable' || err.code === 'disconnected' || err.code === 'timeout') return ['err.unreachable', {}];
  if (err.code === 'room_full') return ['err.room_full', {}];
  if (err.code === 'forbidden') return ['err.forbidden', {}];
  return ['err.joinFailed', { reason: err.reason || err.code }];
}

/**
 * Join a room. Used by the button, by ?autojoin=1 and by tb.join().
 * Resolves when joined; rejects (after showing the error) otherwise.
 */
function join(values) {
  if (app.state === 'joining' || app.state === 'joined' || app.state === 'reconnecting') {
    return app.joinPromise || Promise.resolve();
  }
  if (values) joinView.setValues(values);
  const v = joinView.validate();
  if (!v) return Promise.reject(new Error('invalid form'));
  app.joinClickedAt = performance.now();
  app.firstFrameAt = null;
  app.joinPromise = doJoin(v.room, v.name);
  return app.joinPromise;
}

async function doJoin(room, name) {
  setState('joining');
  joinView.showError(null);
  joinView.setBusy(true);
  app.room = room;
  app.name = name;
  rememberName(name);

  // Wait for the preview's camera/microphone (the permission prompt, if any);
  // after a leave the preview is off, so start it again.
  if (!joinView.stream && !joinView.acquiring) joinView.startPreview().catch(() => {});
  if (joinView.acquiring) { try { await joinView.acquiring; } catch { /* no media */ } }
  app.micOn = joinView.micOn;
  app.camOn = joinView.camOn;

  // Always the server that served this page: a link must not redirect media elsewhere.
  const sig = new Signaling(defaultSignalingUrl());
  app.sig = sig;
  sig.addEventListener('message', (e) => onServerEvent(e.detail));
  sig.addEventListener('close', (e) => onSignalingClose(sig, e.detail));
  sig.addEventListener('open', (e) => { if (e.detail.reconnect) rejoin(sig); });
  sig.addEventListener('server-error', (e) => {
    console.warn('[app] server error', e.detail);
    if (app.state === 'joined') toast(t('err.generic', { reason: e.detail.reason || e.detail.code }), { kind: 'error' });
  });

  let data;
  try {
    await sig.connect();
    data = await sig.request('join', { room, name });
  } catch (err) {
    sig.close();
    if (app.sig === sig) app.sig = null;
    if (app.state !== 'joining') throw err;        // left meanwhile
    setState('idle');
    showView('join');
    joinView.setBusy(false);
    const [key, p] = errorKeyFor(err);
    joinView.showError(key, p);
    throw err;
  }
  if (app.state !== 'joining' || app.sig !== sig) { sig.close(); throw new Error('cancelled'); }

  app.localStream = joinView.takeStream();
  enterRoom(data);
  setState('joined');
  joinView.setBusy(false);
  history.replaceState(null, '', `${location.pathname}?room=${encodeURIComponent(room)}`
    + (params.get('lang') ? `&lang=${encodeURIComponent(params.get('lang'))}` : ''));
  toast(t('room.joinedToast', { room }), { kind: 'success', timeout: 3000 });
  if (!app.localStream || !app.localStream.getTracks().length) {
    toast(t('room.receiveOnly'), { kind: 'info', timeout: 6000 });
  }
  renderHeader();
  await startSession(sig, data);
}

/** Apply a join reply: participant list, self tile. */
function enterRoom(data) {
  app.participantId = data.participant_id || null;
  app.participants.clear();
  roomView.clearRemote();
  for (const p of Array.isArray(data.participants) ? data.participants : []) addParticipant(p);
  showView('room');
  renderLocalTile();
  renderToolbar();
  startLocalMeter();
  startStatsLoop();
  renderHeader();
  // Move focus off the hidden join form (not onto "leave": Enter would end the call).
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('#view-join, #view-left')) $('#room-name').focus();
}

/** Build the peer connections for a freshly joined signaling connection. */
async function startSession(sig, data) {
  if (app.session) app.session.close();
  app.pcStates = { pub: 'new', sub: 'new' };
  const session = new Session(sig, { iceServers: data.ice_servers, localStream: app.localStream });
  app.session = session;
  session.addEventListener('remote', (e) => roomView.setRemoteTracks(e.detail));
  session.addEventListener('pc-state', (e) => { app.pcStates[e.detail.pc] = e.detail.state; renderHeader(); });
  session.addEventListener('error', (e) => {
    const d = e.detail;
    const key = d.during === 'publish' ? 'err.media' : 'err.generic';
    toast(t(key, { reason: d.reason || d.code }), { kind: 'error' });
  });
  session.addEventListener('failed', (e) => {
    if (app.session !== session || app.state !== 'joined') return;
    console.warn('[app] media path failed', e.detail);
    toast(t('err.connectionFailed'), { kind: 'warning' });
    sig.restart();
  });
  // Others should see our real state (no camera, muted before joining…).
  sendMediaState();
  // Events that arrived before the session existed.
  const queued = app.pendingEvents;
  app.pendingEvents = [];
  for (const msg of queued) session.handleEvent(msg);
  try {
    await session.start();
  } catch (err) {
    console.error('[app] publish failed', err);
    // No answer at all: the link is unusable, start over. An error reply (bad_sdp…)
    // was shown as a toast; we stay receive-only rather than retry in a loop.
    if (err && err.code === 'timeout' && app.session === session && app.state === 'joined') sig.restart();
  }
}

function sendMediaState() {
  if (!app.sig || !app.sig.connected || app.state !== 'joined') return;
  app.sig.request('media', { audio: localAudioState(), video: localVideoState() }).catch((err) => {
    if (err.code !== 'disconnected') toast(t('err.generic', { reason: err.reason }), { kind: 'error' });
  });
}

// ---------------------------------------------------------------- reconnect

function onSignalingClose(sig, { willRetry }) {
  if (app.sig !== sig) return;
  if (app.state === 'joined' && willRetry) {
    setState('reconnecting');
    if (app.session) { app.session.close(); app.session = null; }
    app.pendingEvents = [];
    document.body.classList.add('stale');
    roomView.setRemoteTracks(new Map());
    updateBanner();
    renderHeader();
  }
}

async function rejoin(sig) {
  if (app.sig !== sig || app.state !== 'reconnecting') return;
  let data;
  try {
    data = await sig.request('join', { room: app.room, name: app.name });
  } catch (err) {
    if (err.code === 'disconnected' || err.code === 'timeout') return;   // next attempt follows
    // The server refuses us now (room full, forbidden…): stop trying.
    const [key, p] = errorKeyFor(err);
    toast(t(key, p), { kind: 'error' });
    await leave();
    return;
  }
  if (app.sig !== sig || app.state !== 'reconnecting') return;
  document.body.classList.remove('stale');
  enterRoom(data);
  setState('joined');
  updateBanner();
  renderHeader();
  toast(t('room.reconnected'), { kind: 'success', timeout: 3000 });
  await startSession(sig, data);
}

// ---------------------------------------------------------------- events

function addParticipant(p) {
  if (!p || typeof p.id !== 'string' || p.id === app.participantId) return;
  const rec = {
    id: p.id,
    name: typeof p.name === 'string' ? p.name : p.id,
    audio: p.audio !== false,
    video: p.video !== false,
    tracks: Array.isArray(p.tracks) ? p.tracks.slice() : [],
  };
  app.participants.set(p.id, rec);
  roomView.upsertParticipant(rec);
  if (app.session) roomView.setRemoteTracks(app.session.remote);
}

function onServerEvent(msg) {
  if (app.state !== 'joined' && app.state !== 'joining' && app.state !== 'reconnecting') return;
  switch (msg.type) {
    case 'offer':
    case 'candidate':
    case 'connection_state':
      if (app.session) app.session.handleEvent(msg);
      else app.pendingEvents.push(msg);
      return;
    case 'participant_joined': {
      const p = msg.participant;
      if (!p) return;
      addParticipant(p);
      if (app.participants.size <= 12) toast(t('room.someoneJoined', { name: p.name }), { timeout: 3500 });
      break;
    }
    case 'participant_left': {
      const rec = app.participants.get(msg.participant_id);
      app.participants.delete(msg.participant_id);
      roomView.removeParticipant(msg.participant_id);
      if (rec && app.participants.size < 12) toast(t('room.someoneLeft', { name: rec.name }), { timeout: 3500 });
      break;
    }
    case 'participant_updated': {
      const rec = app.participants.get(msg.participant_id);
      if (!rec) return;
      if (typeof msg.audio === 'boolean') rec.audio = msg.audio;
      if (typeof msg.video === 'boolean') rec.video = msg.video;
      if (typeof msg.name === 'string') rec.name = msg.name;
      roomView.upsertParticipant(rec);
      break;
    }
    case 'track_added': {
      const rec = app.participants.get(msg.participant_id);
      if (rec && msg.track && !rec.tracks.some((x) => x.id === msg.track.id)) rec.tracks.push(msg.track);
      break;
    }
    case 'track_removed': {
      const rec = app.participants.get(msg.participant_id);
      if (rec) rec.tracks = rec.tracks.filter((x) => x.id !== msg.track_id);
      break;
    }
    default:
      console.debug('[app] unhandled event', msg.type);
  }
  renderHeader();
}

// ---------------------------------------------------------------- local media

function setMic(on) {
  if (!app.localStream || !app.localStream.getAudioTracks().length) return;
  app.micOn = on;
  for (const tr of app.localStream.getAudioTracks()) tr.enabled = on;
  renderToolbar();
  renderLocalTile();
  sendMediaState();
}

function setCam(on) {
  if (!app.localStream || !app.localStream.getVideoTracks().length) return;
  app.camOn = on;
  for (const tr of app.localStream.getVideoTracks()) tr.enabled = on;
  renderToolbar();
  renderLocalTile();
  sendMediaState();
}

function startLocalMeter() {
  app.stopLocalMeter();
  const at = app.localStream && app.localStream.getAudioTracks()[0];
  app.stopLocalMeter = at ? startLevelMeter(at, (lvl) => roomView.setSpeaking('local', lvl > 0.12)) : () => {};
}

function startStatsLoop() {
  clearInterval(app.statsTimer);
  app.statsTimer = setInterval(async () => {
    const s = app.session;
    if (!s || app.state !== 'joined') return;
    const stats = await s.statsByParticipant([...app.participants.keys()]);
    for (const [pid, st] of Object.entries(stats)) {
      roomView.setSpeaking(pid, st.audioLevel > 0.03);
      if (!app.firstFrameAt && st.videoFramesDecoded > 0) app.firstFrameAt = performance.now();
    }
  }, 400);
}

// ---------------------------------------------------------------- leave

async function leave() {
  if (app.state === 'idle' || app.state === 'left') return;
  const sig = app.sig;
  app.sig = null;
  setState('left');
  if (sig) {
    if (sig.connected) { try { await sig.request('leave', {}, 2000); } catch { /* closing anyway */ } }
    sig.close();
  }
  if (app.session) { app.session.close(); app.session = null; }
  clearInterval(app.statsTimer);
  app.stopLocalMeter();
  app.stopLocalMeter = () => {};
  stopStream(app.localStream);
  app.localStream = null;
  app.participants.clear();
  app.participantId = null;
  app.soundBlocked = false;
  roomView.clear();
  document.body.classList.remove('stale');
  joinView.setBusy(false);
  updateBanner();
  $('#left-room').textContent = t('join.headingRoom', { room: app.room });
  clearToasts();
  showView('left');
  $('#rejoin-btn').focus();
}

async function backToJoin({ rejoinNow = false } = {}) {
  setState('idle');
  showView('join');
  joinView.prefill({ room: app.room, name: app.name });
  const preview = joinView.startPreview();
  if (rejoinNow) {
    join({ room: app.room, name: app.name }).catch(() => {});
  } else {
    await preview;
    joinView.focusFirst();
  }
}

// ---------------------------------------------------------------- invite

async function copyInvite() {
  const link = `${location.origin}${location.pathname}?room=${encodeURIComponent(app.room)}`;
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(link); ok = true; }
  } catch { /* fall through */ }
  if (!ok) {
    const ta = document.createElement('textarea');
    ta.value = link;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
  }
  toast(t(ok ? 'room.inviteCopied' : 'room.inviteManual', { link }), { kind: ok ? 'success' : 'info', timeout: ok ? 4000 : 15000 });
}

// ---------------------------------------------------------------- boot

function boot() {
  initLang();
  $('#logo').innerHTML = LOGO;
  renderIcons();
  setState('idle');

  roomView = new RoomView($('#grid'), $('#audio-sink'), {
    onFirstFrame: (ms) => { if (!app.firstFrameAt) app.firstFrameAt = ms; },
    onAudioBlocked: () => { if (!app.soundBlocked) { app.soundBlocked = true; updateBanner(); } },
  });
  joinView = new JoinView($('#view-join'), { onSubmit: (v) => join(v).catch(() => {}) });
  joinView.prefill({ room: params.get('room') || '', name: params.get('name') || '' });

  $('#lang-btn').addEventListener('click', toggleLang);
  onLangChange(() => {
    translateDom();
    joinView.refreshText();
    roomView.refreshText();
    renderToolbar();
    renderHeader();
    updateBanner();
    if (app.state === 'left') $('#left-room').textContent = t('join.headingRoom', { room: app.room });
  });
  $('#mic-btn').addEventListener('click', () => setMic(!app.micOn));
  $('#cam-btn').addEventListener('click', () => setCam(!app.camOn));
  $('#invite-btn').addEventListener('click', copyInvite);
  $('#alone-invite').addEventListener('click', copyInvite);
  $('#leave-btn').addEventListener('click', () => leave());
  $('#rejoin-btn').addEventListener('click', () => backToJoin({ rejoinNow: true }));
  $('#home-btn').addEventListener('click', () => backToJoin());
  window.addEventListener('pagehide', () => { if (app.sig) app.sig.close(); });
  // Any click in the room counts as the gesture browsers want before playing sound.
  for (const ev of ['click', 'keydown']) document.addEventListener(ev, () => { if (app.soundBlocked) enableSound(); });

  if (!window.RTCPeerConnection || !window.WebSocket) {
    joinView.showError('err.noWebrtc');
    $('#join-button').disabled = true;
    return;
  }

  const preview = joinView.startPreview();
  if (params.get('autojoin') === '1') {
    join({ room: params.get('room') || '', name: params.get('name') || joinView.values().name }).catch(() => {});
  } else {
    preview.then(() => joinView.focusFirst());
  }
}

// ---------------------------------------------------------------- test API

window.tb = {
  get pubPc() { return app.session ? app.session.pubPc : null; },
  get subPc() { return app.session ? app.session.subPc : null; },
  get participantId() { return app.participantId; },
  get state() { return app.state; },
  get firstFrameAt() { return app.firstFrameAt; },
  get joinClickedAt() { return app.joinClickedAt; },
  get room() { return app.room; },
  get localStream() { return app.localStream; },
  participants() {
    return [...app.participants.values()].map((p) => ({ id: p.id, name: p.name, audio: p.audio, video: p.video }));
  },
  join(opts = {}) { return join({ room: opts.room, name: opts.name }); },
  leave() { return leave(); },
  setMic(on) { setMic(!!on); },
  setCam(on) { setCam(!!on); },
  async stats() {
    const ids = [...app.participants.keys()];
    const raw = app.session ? await app.session.statsByParticipant(ids)
      : Object.fromEntries(ids.map((id) => [id, { videoFramesDecoded: 0, audioPacketsReceived: 0, videoPacketsReceived: 0 }]));
    const out = {};
    for (const [pid, s] of Object.entries(raw)) {
      out[pid] = {
        videoFramesDecoded: s.videoFramesDecoded,
        audioPacketsReceived: s.audioPacketsReceived,
        videoPacketsReceived: s.videoPacketsReceived,
      };
      if (!app.firstFrameAt && s.videoFramesDecoded > 0) app.firstFrameAt = performance.now();
    }
    return out;
  },
};

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
