// Telebridge web client: UI state and wiring. See docs/protocol.md.
//
// States: idle (join page) → joining → waiting (waiting room) → joined ⇄ reconnecting
// → left. window.tb exposes the state for automated tests (see the bottom of this file).
//
// Who may do what comes from the server (role, permissions, the floor) and is shown
// here; the server enforces it. A participant who may not publish now sends nothing:
// when given the floor (or brought on stage) the client gets its devices and publishes,
// when it ends it stops publishing and releases them. A `site` token (or ?hall=1) turns
// the page into a hall screen: no controls, the current speaker large, and it rejoins by
// itself whatever happens to the network.

import { initLang, t, toggleLang, onLangChange, translateDom } from './i18n.js';
import { Signaling, defaultSignalingUrl } from './signaling.js';
import { Session } from './session.js';
import { startLevelMeter, stopStream } from './media.js';
import { renderIcons, LOGO } from './ui/icons.js';
import { toast, showBanner, clearToasts } from './ui/notify.js';
import { RoomView } from './ui/room.js';
import { JoinView, rememberName } from './ui/join.js';
import { PeoplePanel } from './ui/panel.js';
import { ChatPanel } from './ui/chat.js';
import { FloorPill } from './ui/floor.js';
import { ask, closeAll as closeDialogs } from './ui/dialog.js';
import { takeToken, forgetToken } from './token.js';
import { has, mayPublish, defaultPerms } from './roles.js';
import * as hall from './hall.js';
import { renderToolbar as renderToolbarUi } from './ui/toolbar.js';
import { createPublishing } from './publishing.js';
import { createRequests } from './requests.js';
import { installTestApi } from './testapi.js';
import { createRoster } from './roster.js';
import { createEventHandler } from './events.js';
import { createReconnect } from './reconnect.js';
import { attach as attachRecording, detach as detachRecording, recordingApi } from './ui/recording.js';

const params = new URLSearchParams(location.search);
const $ = (sel) => document.querySelector(sel);

const app = {
  state: 'idle',
  room: '',
  name: '',
  token: null,
  claims: null,
  participantId: null,
  participants: new Map(),      // remote participants: id -> record (roster.js)
  self: { role: 'participant', perms: [], floor: false, hand: false, muted: {}, on_stage: false },
  roomState: { kind: 'roundtable', floor: null, speaker: null },
  lobby: [],
  kinds: [],                    // the room kinds the server knows (join reply `kinds`)
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
  layout: null,                 // 'grid' | 'speaker'; null until chosen (by kind or user)
  layoutChosen: false,
  panel: null,                  // 'people' | 'chat' | null
  final: null,                  // why the participation ended for good (an i18n key)
  screenTrack: null,
  publishing: null,             // promise of an ongoing start/stop of publishing
  hall: false,
  ignoreModeration: false,      // test hook: a client that does not obey moderators
};

let joinView;
let roomView;
let peoplePanel;
let chatPanel;
let floorPill;

// ---------------------------------------------------------------- views

function setState(state) {
  app.state = state;
  document.body.dataset.state = state;
}

function showView(name) {
  document.body.dataset.view = name;
  for (const v of ['join', 'waiting', 'room', 'left']) $(`#view-${v}`).hidden = v !== name;
  $('#room-info').hidden = name !== 'room';
}

function renderHeader() {
  $('#room-name').textContent = app.roomState.title || app.room;
  $('#room-kind').textContent = app.roomState.kind ? t(`kind.${app.roomState.kind}`) : '';
  const lock = $('#room-lock');
  lock.hidden = !app.roomState.locked;
  lock.title = t('mod.lock');
  lock.setAttribute('aria-label', t('mod.lock'));
  const count = app.participants.size + 1;
  $('#room-count-text').textContent = t('room.participants', { count });
  $('#room-count-num').textContent = String(count);
  $('#room-count').setAttribute('aria-label', t('room.participants', { count }));
  $('#alone-card').hidden = !(app.state === 'joined' && app.participants.size === 0 && !app.hall &&
    !app.lobby.length && (has(app.self, 'moderate') || !app.token));
  const states = Object.values(app.pcStates);
  const dot = $('#conn-dot');
  let cls = 'ok';
  let key = 'room.status.connected';
  if (app.state === 'reconnecting' || states.includes('failed')) { cls = 'bad'; key = 'room.status.poor'; }
  else if (states.some((s) => s === 'connecting' || s === 'disconnected')) { cls = 'wait'; key = 'room.status.connecting'; }
  dot.className = `conn-dot conn-${cls}`;
  dot.setAttribute('aria-label', t(key));
  dot.title = t(key);
  hall.renderStatus(app);
}

function selfMayPublish() { return app.state !== 'waiting' && mayPublish(app.self); }

function renderToolbar() { renderToolbarUi(app, selfMayPublish()); }

function renderLocalTile() {
  roomView.setLocal({
    name: app.name,
    stream: app.localStream,
    audio: localAudioState(),
    video: localVideoState(),
    muted: app.self.muted,
    floor: app.self.floor,
    hand: app.self.hand,
    visible: selfMayPublish() || !!app.localStream,
  });
}

function localAudioState() {
  return !!(app.localStream && app.localStream.getAudioTracks().length) && app.micOn;
}

function localVideoState() {
  return !!(app.localStream && app.localStream.getVideoTracks().length) && app.camOn;
}

function renderPanel() {
  if (app.state !== 'joined' && app.state !== 'reconnecting') return;
  peoplePanel.render({
    self: { ...app.self, id: app.participantId, name: app.name, audio: localAudioState(), video: localVideoState() },
    selfId: app.participantId,
    participants: app.participants,
    lobby: app.lobby,
    room: app.roomState,
    kinds: app.kinds,
  });
  const canWrite = has(app.self, 'chat') && (app.roomState.chat !== false || has(app.self, 'moderate'));
  chatPanel.setContext({
    selfId: app.participantId, moderator: has(app.self, 'moderate'), canWrite,
    reasonKey: has(app.self, 'chat') ? 'chat.off' : 'chat.noPerm',
  });
}

function renderAll() {
  renderHeader();
  renderToolbar();
  renderLocalTile();
  renderPanel();
  updateFloor();
}

function updateFloor() {
  const f = app.roomState.floor;
  floorPill.update(f, { selfId: app.participantId, moderator: has(app.self, 'moderate') });
  roomView.setFloorHolder(f ? speakerTileId(f.participant_id) : null);
}

function updateBanner() {
  if (app.state === 'reconnecting' && !app.hall) {
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

function setPanel(which) {
  app.panel = app.panel === which ? null : which;
  const side = $('#side-panel');
  side.hidden = !app.panel;
  document.body.classList.toggle('panel-open', !!app.panel);
  $('#panel-people').hidden = app.panel !== 'people';
  $('#panel-chat').hidden = app.panel !== 'chat';
  $('#tab-people').setAttribute('aria-selected', String(app.panel === 'people'));
  $('#tab-chat').setAttribute('aria-selected', String(app.panel === 'chat'));
  $('#people-btn').setAttribute('aria-expanded', String(app.panel === 'people'));
  $('#chat-btn').setAttribute('aria-expanded', String(app.panel === 'chat'));
  $('#people-btn').classList.toggle('active', app.panel === 'people');
  $('#chat-btn').classList.toggle('active', app.panel === 'chat');
  chatPanel.setVisible(app.panel === 'chat');
  if (app.panel === 'chat') setTimeout(() => $('#chat-input').focus(), 0);
  renderPanel();
  roomView.relayout();
}

function chooseLayout() {
  if (app.layoutChosen) return;
  const kind = app.roomState.kind;
  app.layout = app.hall || ['hearing', 'conference', 'telebridge'].includes(kind) ? 'speaker' : 'grid';
  roomView.setLayout(app.layout);
}

// ---------------------------------------------------------------- join

function errorKeyFor(err) {
  if (!err) return ['err.unreachable', {}];
  if (err.code === 'unreachable' || err.code === 'disconnected' || err.code === 'timeout') return ['err.unreachable', {}];
  if (err.code === 'room_full') return ['err.room_full', {}];
  if (err.code === 'forbidden') return ['err.forbidden', {}];
  if (['token_malformed', 'token_alg', 'token_signature'].includes(err.code)) return ['err.token_invalid', {}];
  if (['token_required', 'token_expired', 'token_room', 'token_not_yet_valid', 'banned', 'room_locked'].includes(err.code)) {
    return [`err.${err.code}`, {}];
  }
  return ['err.joinFailed', { reason: err.reason || err.code }];
}

/**
 * A random key this browser keeps (localStorage) and sends with every join, so that a
 * moderator's ban of an anonymous joiner holds whatever name they type next.
 */
function clientKey() {
  try {
    let k = localStorage.getItem('tb.clientKey');
    if (!k || !/^[A-Za-z0-9_-]{16,128}$/.test(k)) {
      const bytes = crypto.getRandomValues(new Uint8Array(24));
      k = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('tb.clientKey', k);
    }
    return k;
  } catch {
    return null; // storage disabled: join without one
  }
}

function joinFields(room, name) {
  const f = { room, name, audio: localAudioState(), video: localVideoState() };
  if (app.token) f.token = app.token;
  const key = clientKey();
  if (key) f.client_key = key;
  return f;
}

/**
 * Join a room. Used by the button, by ?autojoin=1 and by tb.join().
 * Resolves when joined (or waiting); rejects (after showing the error) otherwise.
 */
function join(values) {
  if (['joining', 'joined', 'reconnecting', 'waiting'].includes(app.state)) {
    return app.joinPromise || Promise.resolve();
  }
  if (values) joinView.setValues(values);
  const v = joinView.validate();
  if (!v) return Promise.reject(new Error('invalid form'));
  app.joinClickedAt = performance.now();
  app.firstFrameAt = null;
  app.final = null;
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
    const stream = joinView.stream;
    data = await sig.request('join', {
      ...joinFields(room, name),
      audio: !!(stream && stream.getAudioTracks().length) && app.micOn,
      video: !!(stream && stream.getVideoTracks().length) && app.camOn,
    });
  } catch (err) {
    sig.close();
    if (app.sig === sig) app.sig = null;
    if (app.state !== 'joining') throw err;        // left meanwhile
    setState('idle');
    if (!app.hall) showView('join');
    joinView.setBusy(false);
    if (String(err.code).startsWith('token_')) forgetToken(room);
    const [key, p] = errorKeyFor(err);
    joinView.showError(key, p);
    hall.joinFailed(app, key, p);
    throw err;
  }
  if (app.state !== 'joining' || app.sig !== sig) { sig.close(); throw new Error('cancelled'); }
  joinView.setBusy(false);
  history.replaceState(null, '', `${location.pathname}?room=${encodeURIComponent(room)}`
    + (params.get('lang') ? `&lang=${encodeURIComponent(params.get('lang'))}` : '')
    + (params.get('hall') ? '&hall=1' : ''));
  if (data.waiting) {
    enterWaiting(data);
    return;
  }
  app.localStream = joinView.takeStream();
  enterRoom(data);
  setState('joined');
  toast(t('room.joinedToast', { room: app.roomState.title || room }), { kind: 'success', timeout: 3000 });
  renderHeader();
  await startSession(sig, data);
}

function enterWaiting(data) {
  setState('waiting');
  app.participantId = data.participant_id || null;
  applySelf(data.self || { role: data.role, perms: data.perms }, { quiet: true });
  app.roomState = { ...app.roomState, ...(data.room_state || {}) };
  $('#waiting-text').textContent = t('waiting.text', { room: app.roomState.title || app.room });
  showView('waiting');
  $('#waiting-leave-btn').focus();
}

/** Apply a join reply (or an `admitted` event): participants, self, room, chat. */
function enterRoom(data) {
  app.participantId = data.participant_id || null;
  if (data.name) app.name = data.name;
  app.participants.clear();
  roomView.clearRemote();
  app.roomState = { ...app.roomState, ...(data.room_state || {}) };
  app.lobby = Array.isArray(data.lobby) ? data.lobby : [];
  if (Array.isArray(data.kinds)) app.kinds = data.kinds;
  applySelf(data.self || { role: data.role, perms: data.perms }, { quiet: true });
  chooseLayout();
  for (const p of Array.isArray(data.participants) ? data.participants : []) roster.add(p);
  chatPanel.setMessages(data.chat);
  attachRecording(app.sig, data);
  // Someone who may not publish now keeps no camera or microphone open.
  if (!selfMayPublish() && app.localStream) {
    stopStream(app.localStream);
    app.localStream = null;
  }
  showView('room');
  renderAll();
  startLocalMeter();
  startStatsLoop();
  roomView.setSpeaker(speakerTileId(app.roomState.speaker));
  // Move focus off the hidden join form (not onto "leave": Enter would end the call).
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('#view-join, #view-left, #view-waiting')) $('#room-name').focus();
  if (app.roomState.consent_requested && app.self.consent == null) askConsent(null);
}

/** Build the peer connections for a freshly joined signaling connection. */
async function startSession(sig, data) {
  if (app.session) app.session.close();
  app.pcStates = { pub: 'new', sub: 'new' };
  const session = new Session(sig, { iceServers: data.ice_servers, localStream: app.localStream });
  app.session = session;
  app.screenTrack = null;
  session.addEventListener('remote', () => renderRemote());
  session.addEventListener('pc-state', (e) => { app.pcStates[e.detail.pc] = e.detail.state; renderHeader(); });
  session.addEventListener('error', (e) => {
    const d = e.detail;
    if (d.code === 'forbidden' && d.during === 'publish') return;   // lost the floor meanwhile
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
  if (!selfMayPublish()) return;
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

// ---------------------------------------------------------------- publishing on demand

const publishing = createPublishing(app, {
  mayPublish: () => selfMayPublish(),
  deviceIds: () => joinView.deviceIds(),
  render: () => { renderLocalTile(); renderToolbar(); },
  startMeter: () => startLocalMeter(),
  sendMediaState: () => sendMediaState(),
});
const startPublishing = () => publishing.start();
const stopPublishing = () => publishing.stop();
const toggleScreen = (opts) => publishing.toggleScreen(opts);

// ---------------------------------------------------------------- reconnect

const { onSignalingClose, rejoin } = createReconnect(app, {
  finalLeave: (key) => finalLeave(key),
  setState: (st) => setState(st),
  clearRemote: () => roomView.setRemoteTracks(new Map()),
  render: () => { updateBanner(); renderHeader(); },
  joinFields: () => joinFields(app.room, app.name),
  errorKeyFor: (err) => errorKeyFor(err),
  leave: () => leave(),
  enterWaiting: (data) => enterWaiting(data),
  enterRoom: (data) => enterRoom(data),
  deviceIds: () => joinView.deviceIds(),
  startSession: (sig, data) => startSession(sig, data),
});

// ---------------------------------------------------------------- events

// The other participants (roster.js) and what the server tells us (events.js).
const roster = createRoster(app, () => roomView);
const speakerTileId = roster.tileId;
const renderRemote = roster.renderRemote;

/** The server's view of oneself changed: role, permissions, floor, moderator mutes. */
function applySelf(p, { quiet = false } = {}) {
  if (!p) return;
  const prev = app.self;
  const wasMay = app.state !== 'waiting' && mayPublish(prev);
  const next = {
    role: p.role || prev.role,
    perms: Array.isArray(p.perms) ? p.perms : prev.perms,
    floor: !!p.floor,
    hand: !!p.hand,
    hand_seq: p.hand_seq || 0,
    muted: p.muted || {},
    on_stage: !!p.on_stage,
    consent: p.consent === undefined ? prev.consent : p.consent,
  };
  app.self = next;
  if (quiet || app.state !== 'joined') return;
  const may = mayPublish(next);
  if (!prev.floor && next.floor) toast(t('floor.givenToast'), { kind: 'success', timeout: 6000 });
  if (prev.floor && !next.floor && !may) toast(t('floor.endedToast'), { kind: 'info', timeout: 6000 });
  if (!prev.on_stage && next.on_stage) toast(t('room.stageOn'), { kind: 'success', timeout: 6000 });
  if (prev.on_stage && !next.on_stage) toast(t('room.stageOff'), { kind: 'info', timeout: 6000 });
  if (!prev.muted.audio && next.muted.audio) {
    toast(t('room.micByModerator'), { kind: 'warning' });
    if (!app.ignoreModeration) setMic(false, { force: true });
  }
  if (!prev.muted.video && next.muted.video) {
    toast(t('room.camByModerator'), { kind: 'warning' });
    if (!app.ignoreModeration) setCam(false, { force: true });
  }
  if (!wasMay && may) startPublishing();
  else if (wasMay && !may && !app.ignoreModeration) stopPublishing();
  renderToolbar();
  renderLocalTile();
}

// Wrapped where the function is defined further down (const, not hoisted).
const onServerEvent = createEventHandler(app, {
  roster,
  view: () => roomView,
  chat: () => chatPanel,
  applySelf,
  onAdmitted,
  askConsent,
  chooseLayout,
  action: (kind, fields) => action(kind, fields),
  setMic: (on) => setMic(on),
  setCam: (on) => setCam(on),
  refresh: () => {
    renderHeader();
    renderToolbar();
    renderPanel();
    updateFloor();
  },
});

async function onAdmitted(data) {
  if (app.state !== 'waiting' || !app.sig) return;
  app.localStream = joinView.takeStream();
  setState('joined');
  enterRoom(data);
  toast(t('room.joinedToast', { room: app.roomState.title || app.room }), { kind: 'success', timeout: 3000 });
  await startSession(app.sig, data);
}

let consentOpen = false;
async function askConsent(byName) {
  if (consentOpen || app.hall) return;
  consentOpen = true;
  const yes = await ask({
    title: t('consent.title'), text: t('consent.text', { name: byName || t('role.moderator') }),
    ok: t('consent.yes'), cancel: t('consent.no'),
  });
  consentOpen = false;
  if (app.state === 'joined') action('consent', { recording: yes });
}

// ---------------------------------------------------------------- requests

const { action, toggleHand } = createRequests(app);

// ---------------------------------------------------------------- local media

function setMic(on, { force = false } = {}) {
  if (!app.localStream || !app.localStream.getAudioTracks().length) return;
  if (on && app.self.muted.audio && !force) { toast(t('room.micBlocked'), { kind: 'warning' }); return; }
  app.micOn = on;
  for (const tr of app.localStream.getAudioTracks()) tr.enabled = on;
  renderToolbar();
  renderLocalTile();
  sendMediaState();
}

function setCam(on, { force = false } = {}) {
  if (!app.localStream || !app.localStream.getVideoTracks().length) return;
  if (on && app.self.muted.video && !force) { toast(t('room.camByModerator'), { kind: 'warning' }); return; }
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

async function leave({ reasonKey = null } = {}) {
  if (app.state === 'idle' || app.state === 'left') return;
  const sig = app.sig;
  app.sig = null;
  detachRecording();
  setState('left');
  if (sig) {
    if (sig.connected && !reasonKey) { try { await sig.request('leave', {}, 2000); } catch { /* closing anyway */ } }
    sig.close();
  }
  if (app.session) { app.session.close(); app.session = null; }
  if (app.screenTrack) { app.screenTrack.stop(); app.screenTrack = null; }
  clearInterval(app.statsTimer);
  app.stopLocalMeter();
  app.stopLocalMeter = () => {};
  stopStream(app.localStream);
  app.localStream = null;
  stopStream(joinView.takeStream());
  app.participants.clear();
  app.participantId = null;
  app.soundBlocked = false;
  app.lobby = [];
  roomView.clear();
  closeDialogs();
  floorPill.update(null, {});
  document.body.classList.remove('stale');
  joinView.setBusy(false);
  updateBanner();
  $('#left-room').textContent = t('join.headingRoom', { room: app.roomState.title || app.room });
  const reason = $('#left-reason');
  reason.hidden = !reasonKey;
  reason.dataset.key = reasonKey || '';
  reason.textContent = reasonKey ? t(reasonKey) : '';
  // Removed, denied or banned: no "rejoin" button that could only fail or be unwelcome.
  $('#rejoin-btn').hidden = ['left.removed', 'left.banned', 'left.denied'].includes(reasonKey);
  clearToasts();
  showView('left');
  if (app.hall) hall.leftView(app, reasonKey);
  ($('#rejoin-btn').hidden ? $('#home-btn') : $('#rejoin-btn')).focus();
}

/** The server ended this participation (removed, replaced, denied, meeting ended). */
function finalLeave(key) {
  app.final = key;
  leave({ reasonKey: key || 'left.ended' });
}

async function backToJoin({ rejoinNow = false } = {}) {
  setState('idle');
  showView('join');
  joinView.prefill({ room: app.room, name: app.name });
  if (app.claims) joinView.setInvite({ name: app.claims.name, role: app.claims.role });
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

  const tk = takeToken(params);
  app.token = tk.token;
  app.claims = tk.claims;
  app.hall = (tk.claims && tk.claims.role === 'site') || params.get('hall') === '1';

  roomView = new RoomView($('#grid'), $('#audio-sink'), {
    onFirstFrame: (ms) => { if (!app.firstFrameAt) app.firstFrameAt = ms; },
    onAudioBlocked: () => { if (!app.soundBlocked) { app.soundBlocked = true; updateBanner(); } },
  });
  joinView = new JoinView($('#view-join'), { onSubmit: (v) => join(v).catch(() => {}) });
  joinView.prefill({ room: tk.room || '', name: params.get('name') || '' });
  if (tk.claims) {
    joinView.setInvite({ name: tk.claims.name, role: tk.claims.role });
    app.self = { ...app.self, role: tk.claims.role, perms: [...defaultPerms(tk.claims.role)] };
  }
  if (tk.claims && tk.claims.role === 'viewer') joinView.setNoDevices(true);
  peoplePanel = new PeoplePanel($('#panel-people'), { onAction: (type, f) => action(type, f).catch(() => {}) });
  chatPanel = new ChatPanel($('#panel-chat'), {
    onSend: (text) => action('chat', { text }),
    onDelete: (id) => action('chat_delete', { message_id: id }).catch(() => {}),
  });
  chatPanel.onUnread = (n) => { const b = $('#chat-badge'); b.hidden = !n; b.textContent = String(n); };
  floorPill = new FloorPill($('#floor-pill'), {
    onTake: () => action('floor_take', {}).catch(() => {}),
    onTick: (pid, text) => roomView.setFloorText(speakerTileId(pid) === 'local' ? '__local' : pid, text),
  });

  $('#lang-btn').addEventListener('click', toggleLang);
  onLangChange(() => {
    translateDom();
    joinView.refreshText();
    roomView.refreshText();
    chatPanel.refreshText();
    floorPill.refreshText();
    renderToolbar();
    renderHeader();
    renderPanel();
    updateBanner();
    if (app.state === 'left') {
      $('#left-room').textContent = t('join.headingRoom', { room: app.roomState.title || app.room });
      const r = $('#left-reason');
      if (r.dataset.key) r.textContent = t(r.dataset.key);
    }
    if (app.state === 'waiting') $('#waiting-text').textContent = t('waiting.text', { room: app.roomState.title || app.room });
  });
  $('#mic-btn').addEventListener('click', () => setMic(!app.micOn));
  $('#cam-btn').addEventListener('click', () => setCam(!app.camOn));
  $('#screen-btn').addEventListener('click', () => toggleScreen());
  $('#hand-btn').addEventListener('click', toggleHand);
  $('#people-btn').addEventListener('click', () => setPanel('people'));
  $('#chat-btn').addEventListener('click', () => setPanel('chat'));
  $('#tab-people').addEventListener('click', () => { if (app.panel !== 'people') setPanel('people'); });
  $('#tab-chat').addEventListener('click', () => { if (app.panel !== 'chat') setPanel('chat'); });
  $('#panel-close').addEventListener('click', () => setPanel(app.panel));
  $('#layout-btn').addEventListener('click', () => {
    app.layoutChosen = true;
    app.layout = app.layout === 'speaker' ? 'grid' : 'speaker';
    roomView.setLayout(app.layout);
    renderToolbar();
  });
  $('#invite-btn').addEventListener('click', copyInvite);
  $('#alone-invite').addEventListener('click', copyInvite);
  $('#leave-btn').addEventListener('click', () => leave());
  $('#waiting-leave-btn').addEventListener('click', () => leave());
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

  if (app.hall) {
    hall.start(app, { join, roomView, showView, joinView });
    return;
  }
  const preview = joinView.startPreview();
  if (params.get('autojoin') === '1') {
    join({ room: tk.room || '', name: (tk.claims && tk.claims.name) || params.get('name') || joinView.values().name }).catch(() => {});
  } else {
    preview.then(() => joinView.focusFirst());
  }
}

// ---------------------------------------------------------------- test API

installTestApi(app, {
  get roomView() { return roomView; },
  get chatPanel() { return chatPanel; },
  recordingApi,
  join, leave, setMic, setCam, action, toggleScreen,
});

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
