// The room's stage: one tile per participant who is on stage (publishes or may; the
// audience is only in the participant list), one more tile per shared screen, and the
// local tile (mirrored). Tiles are video or an avatar with initials, with a name plate
// and badges (microphone/camera off, muted by a moderator, floor, raised hand).
//
// Layouts: 'grid' (equal tiles) and 'speaker' (the current speaker large, the others in a
// strip). A shared screen always takes the large place, in both layouts, for everyone
// including hall screens. Tiles are positioned absolutely by relayout(), never moved in
// the DOM: moving a playing <video> would pause it.
//
// Remote audio plays through one hidden <audio> element per participant, kept apart from
// the tiles, so that leaving the stage never cuts anyone's sound.

import { icon } from './icons.js';
import { t } from '../i18n.js';

const GAP = 10;
const AVATAR_COLORS = ['#1d4ed8', '#7c3aed', '#0f766e', '#b45309', '#be185d', '#4d7c0f',
  '#0e7490', '#9333ea', '#c2410c', '#475569', '#15803d', '#a21caf'];

export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 1) : [[...words[0]][0], [...words[1]][0]];
  return letters.join('').toLocaleUpperCase();
}

export function avatarColor(key) {
  let h = 0;
  for (const ch of String(key)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}

/** Columns and tile size that make n tiles as large as possible in W x H. */
export function bestLayout(n, W, H) {
  const portrait = H > W * 1.15;
  const ratios = portrait ? [16 / 9, 4 / 3, 1, 3 / 4] : [16 / 9];
  let best = { cols: 1, w: 0, h: 0, area: 0 };
  for (const ratio of ratios) {
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      let w = (W - GAP * (cols - 1)) / cols;
      let h = w / ratio;
      if (h * rows + GAP * (rows - 1) > H) {
        h = (H - GAP * (rows - 1)) / rows;
        w = h * ratio;
      }
      const area = w * h * (ratio === 16 / 9 ? 1.08 : 1);   // slight preference for 16:9
      if (area > best.area) best = { cols, w, h, area };
    }
  }
  return best;
}

export class RoomView {
  /**
   * @param {HTMLElement} grid    tile container
   * @param {HTMLElement} audioHost  hidden container for <audio> elements
   * @param {{onFirstFrame?: (ms:number)=>void, onAudioBlocked?: ()=>void}} hooks
   */
  constructor(grid, audioHost, hooks = {}) {
    this.grid = grid;
    this.audioHost = audioHost;
    this.hooks = hooks;
    this.tiles = new Map();      // tile id -> tile record (participant id, or "<pid>#screen")
    this.people = new Map();     // participant id -> {name, audio, video, muted, floor, hand, role, onStage}
    this.audio = new Map();      // participant id -> {el, track}
    this.localId = '__local';
    this.layout = 'grid';
    this.floorHolder = null;     // participant id holding the floor ('local' for oneself)
    this.speaker = null;         // participant id the server announced
    this.lastSpeaker = null;
    this.main = null;            // tile id shown large, null in the grid
    this.showLocal = true;
    this.seq = 0;
    this.box = grid.parentElement;
    this.ro = new ResizeObserver(() => this.relayout());
    this.ro.observe(this.box);
  }

  // ------------------------------------------------------------ tiles

  _tile(id, { isLocal = false, pid = id, screen = false } = {}) {
    let rec = this.tiles.get(id);
    if (rec) return rec;
    const el = document.createElement('div');
    el.className = 'tile' + (isLocal ? ' tile-local' : '') + (screen ? ' tile-screen' : '');
    el.setAttribute('role', 'listitem');
    el.dataset.pid = pid;
    el.dataset.tile = id;
    el.innerHTML = `
      <video playsinline autoplay muted></video>
      <div class="avatar" aria-hidden="true"><span class="initials"></span></div>
      <div class="tile-flags">
        <span class="tile-flag flag-floor" hidden>${icon('gavel')}<span class="flag-text"></span></span>
        <span class="tile-flag flag-hand" hidden>${icon('hand')}</span>
      </div>
      <div class="tile-plate">
        <span class="plate-badge badge-screen" hidden>${icon('screen')}</span>
        <span class="plate-badge badge-mic" hidden>${icon('micOff')}</span>
        <span class="plate-badge badge-cam" hidden>${icon('camOff')}</span>
        <span class="tile-name"></span>
      </div>`;
    const video = el.querySelector('video');
    video.setAttribute('aria-hidden', 'true');
    rec = { id, pid, el, video, isLocal, screen, videoTrack: null, trackListeners: [], seq: ++this.seq };
    this.tiles.set(id, rec);
    this.grid.appendChild(el);
    return rec;
  }

  _removeTile(id) {
    const rec = this.tiles.get(id);
    if (!rec) return;
    this._detach(rec);
    rec.video.srcObject = null;
    rec.el.remove();
    this.tiles.delete(id);
    if (this.main === id) this.main = null;
  }

  _render(rec) {
    const p = rec.isLocal ? this.local : this.people.get(rec.pid);
    if (!p) return;
    const name = rec.isLocal ? t('room.youSuffix', { name: p.name }) : p.name;
    const displayName = rec.screen ? t('room.screenOf', { name }) : name;
    rec.el.querySelector('.tile-name').textContent = displayName;
    const ini = rec.el.querySelector('.initials');
    ini.textContent = initials(p.name);
    ini.parentElement.style.setProperty('--avatar-bg', avatarColor(rec.isLocal ? p.name : rec.pid + p.name));
    const modMic = !!(p.muted && p.muted.audio);
    const micOff = !rec.screen && (p.audio === false || modMic);
    const camOff = !rec.screen && (p.video === false || !!(p.muted && p.muted.video));
    const mb = rec.el.querySelector('.badge-mic');
    mb.hidden = !micOff;
    mb.classList.toggle('by-moderator', modMic);
    rec.el.querySelector('.badge-cam').hidden = !camOff;
    rec.el.querySelector('.badge-screen').hidden = !rec.screen;
    const floor = !rec.screen && !!p.floor;
    rec.el.querySelector('.flag-floor').hidden = !floor;
    rec.el.querySelector('.flag-hand').hidden = rec.screen || !p.hand;
    rec.el.classList.toggle('has-floor', floor);
    const track = rec.videoTrack;
    const showVideo = !!track && (rec.screen || !camOff) && track.readyState === 'live' &&
      !(rec.isLocal ? false : track.muted);
    rec.el.classList.toggle('has-video', showVideo);
    const states = [];
    if (micOff) states.push(t(modMic ? 'room.mutedByModerator' : 'room.mutedMic'));
    if (camOff) states.push(t('room.mutedCam'));
    if (floor) states.push(t('floor.has'));
    if (p.hand && !rec.screen) states.push(t('people.handRaised'));
    rec.el.setAttribute('aria-label', states.length ? `${displayName}: ${states.join(', ')}` : displayName);
  }

  /** The floor countdown text shown on the holder's tile ("1:05"), or ''. */
  setFloorText(pid, text) {
    for (const rec of this.tiles.values()) {
      const f = rec.el.querySelector('.flag-floor .flag-text');
      f.textContent = rec.pid === pid && !rec.screen ? text : '';
    }
  }

  /** The local participant. stream may be null; visible false hides the tile. */
  setLocal({ name, stream, audio, video, muted, floor, hand, visible = true }) {
    this.local = { name, audio, video, muted, floor, hand };
    if (!visible || !this.showLocal) {
      this._removeTile(this.localId);
      this.relayout();
      return;
    }
    const rec = this._tile(this.localId, { isLocal: true });
    const vt = stream ? stream.getVideoTracks()[0] || null : null;
    if (rec.videoTrack !== vt) {
      rec.videoTrack = vt;
      rec.video.srcObject = vt ? new MediaStream([vt]) : null;
      if (vt) rec.video.play().catch(() => {});
    }
    this._render(rec);
    this.relayout();
  }

  /** A remote participant's state; `onStage` decides whether it has a tile. */
  upsertParticipant(p) {
    const prev = this.people.get(p.id) || {};
    const rec = { ...prev, ...p };
    this.people.set(p.id, rec);
    if (rec.onStage) this._render(this._tile(p.id));
    else this._removeTile(p.id);
    const screen = this.tiles.get(`${p.id}#screen`);
    if (screen) this._render(screen);
    this.relayout();
  }

  removeParticipant(id) {
    this._removeTile(id);
    this._removeTile(`${id}#screen`);
    this.people.delete(id);
    const a = this.audio.get(id);
    if (a) { a.el.srcObject = null; a.el.remove(); this.audio.delete(id); }
    if (this.speaker === id) this.speaker = null;
    if (this.lastSpeaker === id) this.lastSpeaker = null;
    this.relayout();
  }

  /** Remove every remote tile (keeps the local one). */
  clearRemote() {
    for (const id of [...this.people.keys()]) this.removeParticipant(id);
  }

  clear() {
    this.clearRemote();
    this._removeTile(this.localId);
  }

  remoteIds() { return [...this.people.keys()]; }

  /**
   * Attach received tracks: map participantId -> [{track, kind, trackId}];
   * labelOf(pid, trackId) says 'camera', 'screen' or 'microphone'.
   */
  setRemoteTracks(map, labelOf = () => null) {
    for (const [pid, p] of this.people) {
      const list = (map.get(pid) || []).filter((r) => r.track.readyState === 'live');
      const isScreen = (r) => r.kind === 'video' && labelOf(pid, r.trackId) === 'screen';
      const cam = list.find((r) => r.kind === 'video' && !isScreen(r));
      const scr = list.find(isScreen);
      const mic = list.find((r) => r.kind === 'audio');
      const tile = this.tiles.get(pid);
      if (tile) this._setVideo(tile, cam ? cam.track : null);
      if (scr) {
        const st = this._tile(`${pid}#screen`, { pid, screen: true });
        this._setVideo(st, scr.track);
        this._render(st);
      } else {
        this._removeTile(`${pid}#screen`);
      }
      this._setAudio(pid, mic ? mic.track : null);
      if (tile) this._render(tile);
    }
    this.relayout();
  }

  _setVideo(rec, track) {
    if (rec.videoTrack === track) return;
    this._detach(rec);
    rec.videoTrack = track;
    if (track) {
      const rerender = () => this._render(rec);
      for (const ev of ['mute', 'unmute', 'ended']) {
        track.addEventListener(ev, rerender);
        rec.trackListeners.push([track, ev, rerender]);
      }
      rec.video.srcObject = new MediaStream([track]);
      rec.video.play().catch(() => {});
      this._watchFirstFrame(rec);
    } else {
      rec.video.srcObject = null;
    }
  }

  _setAudio(pid, track) {
    let a = this.audio.get(pid);
    if (!track) {
      if (a) { a.el.srcObject = null; a.track = null; }
      return;
    }
    if (!a) {
      const el = document.createElement('audio');
      el.autoplay = true;
      el.dataset.pid = pid;
      this.audioHost.appendChild(el);
      a = { el, track: null };
      this.audio.set(pid, a);
    }
    if (a.track === track) return;
    a.track = track;
    a.el.srcObject = new MediaStream([track]);
    this._playAudio(a.el);
  }

  _detach(rec) {
    for (const [tr, ev, fn] of rec.trackListeners) tr.removeEventListener(ev, fn);
    rec.trackListeners = [];
  }

  _watchFirstFrame(rec) {
    const v = rec.video;
    const fire = () => { if (this.hooks.onFirstFrame) this.hooks.onFirstFrame(performance.now()); };
    if (typeof v.requestVideoFrameCallback === 'function') {
      v.requestVideoFrameCallback(() => fire());
    } else {
      v.addEventListener('loadeddata', fire, { once: true });
    }
    v.addEventListener('resize', () => this._render(rec), { once: true });
  }

  _playAudio(el) {
    const p = el.play();
    if (p && p.catch) {
      p.catch((err) => {
        if (err && err.name === 'NotAllowedError' && this.hooks.onAudioBlocked) this.hooks.onAudioBlocked();
      });
    }
  }

  /** Retry playback of all remote audio (after a user gesture). */
  async resumeAudio() {
    let ok = true;
    for (const a of this.audio.values()) {
      if (!a.el.srcObject) continue;
      try { await a.el.play(); } catch { ok = false; }
    }
    return ok;
  }

  setSpeaking(id, speaking) {
    const rec = this.tiles.get(id === 'local' ? this.localId : id);
    if (!rec) return;
    const p = rec.isLocal ? this.local : this.people.get(id);
    const muted = p && (p.audio === false || (p.muted && p.muted.audio));
    rec.el.classList.toggle('speaking', !!speaking && !muted);
  }

  /** The server's current speaker (participant id or null; 'local' for oneself). */
  setSpeaker(id) {
    this.speaker = id;
    if (id) this.lastSpeaker = id;
    for (const rec of this.tiles.values()) {
      rec.el.classList.toggle('current-speaker', !rec.screen && (rec.isLocal ? id === 'local' : rec.pid === id));
    }
    this.relayout();
  }

  /** Who holds the floor (participant id, 'local', or null). */
  setFloorHolder(id) {
    if (this.floorHolder === id) return;
    this.floorHolder = id;
    this.relayout();
  }

  setLayout(mode) {
    this.layout = mode === 'speaker' ? 'speaker' : 'grid';
    this.relayout();
  }

  /** Hall screens show no local tile. */
  setShowLocal(show) {
    this.showLocal = show;
    if (!show) this._removeTile(this.localId);
    this.relayout();
  }

  /** Re-render names/labels after a language switch. */
  refreshText() { for (const rec of this.tiles.values()) this._render(rec); }

  // ------------------------------------------------------------ layout

  /** The tile shown large: a shared screen, else (speaker layout) the speaker. */
  _pickMain() {
    const screens = [...this.tiles.values()].filter((r) => r.screen).sort((a, b) => b.seq - a.seq);
    if (screens.length) return screens[0].id;
    if (this.layout !== 'speaker') return null;
    const pick = (pid) => (pid === 'local' ? this.localId : pid);
    // Whoever holds the floor is the one to watch; then the voice the relay hears.
    for (const cand of [this.floorHolder, this.speaker, this.lastSpeaker, this.main]) {
      const id = cand && pick(cand);
      if (id && this.tiles.has(id)) return id;
    }
    const firstRemote = [...this.tiles.values()].filter((r) => !r.isLocal).sort((a, b) => a.seq - b.seq)[0];
    return firstRemote ? firstRemote.id : null;
  }

  relayout() {
    const n = this.tiles.size;
    this.grid.dataset.count = String(n);
    if (!n) { this.main = null; return; }
    const cs = getComputedStyle(this.box);
    const W = this.box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const H = this.box.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    if (W <= 0 || H <= 0) return;
    this.main = this._pickMain();
    const ordered = [...this.tiles.values()].sort((a, b) => (a.isLocal - b.isLocal) || (a.seq - b.seq));
    this.grid.classList.toggle('layout-focus', !!this.main);
    if (this.main) this._layoutFocus(ordered, W, H);
    else this._layoutGrid(ordered, W, H);
  }

  _place(rec, x, y, w, h) {
    const s = rec.el.style;
    s.left = `${Math.round(x)}px`;
    s.top = `${Math.round(y)}px`;
    s.width = `${Math.floor(w)}px`;
    s.height = `${Math.floor(h)}px`;
  }

  _layoutGrid(tiles, W, H) {
    const n = tiles.length;
    const { cols, w, h } = bestLayout(n, W, H);
    const rows = Math.ceil(n / cols);
    const top = (H - (rows * h + (rows - 1) * GAP)) / 2;
    tiles.forEach((rec, i) => {
      const row = Math.floor(i / cols);
      const inRow = row === rows - 1 ? n - row * cols : cols;
      const left = (W - (inRow * w + (inRow - 1) * GAP)) / 2;
      rec.el.classList.remove('tile-main', 'tile-strip');
      this._place(rec, left + (i % cols) * (w + GAP), top + row * (h + GAP), w, h);
    });
  }

  _layoutFocus(tiles, W, H) {
    const main = this.tiles.get(this.main);
    const others = tiles.filter((r) => r !== main);
    const stripH = others.length ? Math.max(72, Math.min(170, H * 0.2)) : 0;
    const stripW = stripH * 16 / 9;
    // The main tile: as large as fits above the strip, 16:9, centred.
    const availH = H - (stripH ? stripH + GAP : 0);
    let mw = W;
    let mh = mw * 9 / 16;
    if (mh > availH) { mh = availH; mw = mh * 16 / 9; }
    main.el.classList.add('tile-main');
    main.el.classList.remove('tile-strip');
    this._place(main, (W - mw) / 2, (availH - mh) / 2, mw, mh);
    // The strip: as many as fit side by side, smaller when there are many.
    const fit = Math.max(1, Math.floor((W + GAP) / (stripW + GAP)));
    const k = others.length;
    const tw = k > fit ? (W - (fit - 1) * GAP) / fit : stripW;
    const th = k > fit ? tw * 9 / 16 : stripH;
    const shown = Math.min(k, fit);
    const left = (W - (shown * tw + (shown - 1) * GAP)) / 2;
    others.forEach((rec, i) => {
      rec.el.classList.remove('tile-main');
      rec.el.classList.add('tile-strip');
      rec.el.classList.toggle('tile-overflow', i >= fit);
      this._place(rec, left + (i % fit) * (tw + GAP), H - th, tw, th);
    });
  }
}
