// The room's participant grid: one tile per participant (the local one mirrored),
// video or an avatar with initials, name plate with mic/camera-off badges.
// Remote audio plays through one hidden <audio> element per participant.

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
    this.tiles = new Map();      // id -> tile record
    this.localId = '__local';
    this.audioUnlocked = false;
    // Measure the grid's parent: the grid's own width depends on the computed tile size.
    this.box = grid.parentElement;
    this.ro = new ResizeObserver(() => this.relayout());
    this.ro.observe(this.box);
  }

  _tile(id, isLocal = false) {
    let rec = this.tiles.get(id);
    if (rec) return rec;
    const el = document.createElement('div');
    el.className = 'tile' + (isLocal ? ' tile-local' : '');
    el.setAttribute('role', 'listitem');
    el.dataset.pid = id;
    el.innerHTML = `
      <video playsinline autoplay muted></video>
      <div class="avatar" aria-hidden="true"><span class="initials"></span></div>
      <div class="tile-plate">
        <span class="plate-badge badge-mic" hidden>${icon('micOff')}</span>
        <span class="plate-badge badge-cam" hidden>${icon('camOff')}</span>
        <span class="tile-name"></span>
      </div>`;
    const video = el.querySelector('video');
    video.setAttribute('aria-hidden', 'true');
    rec = {
      id, el, video, isLocal,
      name: '', audio: true, video_: true,
      videoTrack: null, audioTrack: null, audioEl: null,
      trackListeners: [],
    };
    this.tiles.set(id, rec);
    if (isLocal) this.grid.appendChild(el);
    else {
      const local = this.tiles.get(this.localId);
      this.grid.insertBefore(el, local && local !== rec ? local.el : null);
    }
    this.relayout();
    return rec;
  }

  _render(rec) {
    const displayName = rec.isLocal ? t('room.youSuffix', { name: rec.name }) : rec.name;
    rec.el.querySelector('.tile-name').textContent = displayName;
    const ini = rec.el.querySelector('.initials');
    ini.textContent = initials(rec.name);
    ini.parentElement.style.setProperty('--avatar-bg', avatarColor(rec.isLocal ? rec.name : rec.id + rec.name));
    const micOff = rec.audio === false;
    const camOff = rec.video_ === false;
    rec.el.querySelector('.badge-mic').hidden = !micOff;
    rec.el.querySelector('.badge-cam').hidden = !camOff;
    const track = rec.videoTrack;
    const showVideo = !!track && !camOff && track.readyState === 'live' && !(rec.isLocal ? false : track.muted);
    rec.el.classList.toggle('has-video', showVideo);
    const states = [];
    if (micOff) states.push(t('room.mutedMic'));
    if (camOff) states.push(t('room.mutedCam'));
    rec.el.setAttribute('aria-label', states.length ? `${displayName}: ${states.join(', ')}` : displayName);
  }

  /** The local participant. stream may be null (receive-only). */
  setLocal({ name, stream, audio, video }) {
    const rec = this._tile(this.localId, true);
    rec.name = name;
    rec.audio = audio;
    rec.video_ = video;
    const vt = stream ? stream.getVideoTracks()[0] || null : null;
    if (rec.videoTrack !== vt) {
      rec.videoTrack = vt;
      rec.video.srcObject = vt ? new MediaStream([vt]) : null;
      if (vt) rec.video.play().catch(() => {});
    }
    this._render(rec);
  }

  upsertParticipant(p) {
    const rec = this._tile(p.id);
    if (typeof p.name === 'string') rec.name = p.name;
    if (typeof p.audio === 'boolean') rec.audio = p.audio;
    if (typeof p.video === 'boolean') rec.video_ = p.video;
    this._render(rec);
  }

  removeParticipant(id) {
    const rec = this.tiles.get(id);
    if (!rec) return;
    this._detachTracks(rec);
    if (rec.audioEl) { rec.audioEl.srcObject = null; rec.audioEl.remove(); }
    rec.video.srcObject = null;
    rec.el.remove();
    this.tiles.delete(id);
    this.relayout();
  }

  /** Remove every remote tile (keeps the local one). */
  clearRemote() {
    for (const id of [...this.tiles.keys()]) if (id !== this.localId) this.removeParticipant(id);
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.removeParticipant(id);
  }

  remoteIds() { return [...this.tiles.keys()].filter((id) => id !== this.localId); }

  /** Attach received tracks: map participantId -> [{track, kind}]. */
  setRemoteTracks(map) {
    for (const [id, rec] of this.tiles) {
      if (rec.isLocal) continue;
      const list = map.get(id) || [];
      const vt = (list.find((r) => r.kind === 'video' && r.track.readyState === 'live') || {}).track || null;
      const at = (list.find((r) => r.kind === 'audio' && r.track.readyState === 'live') || {}).track || null;
      if (vt !== rec.videoTrack || at !== rec.audioTrack) {
        this._detachTracks(rec);
        rec.videoTrack = vt;
        rec.audioTrack = at;
        this._attachTracks(rec);
      }
      this._render(rec);
    }
  }

  _attachTracks(rec) {
    const rerender = () => this._render(rec);
    for (const tr of [rec.videoTrack, rec.audioTrack]) {
      if (!tr) continue;
      for (const ev of ['mute', 'unmute', 'ended']) {
        tr.addEventListener(ev, rerender);
        rec.trackListeners.push([tr, ev, rerender]);
      }
    }
    if (rec.videoTrack) {
      rec.video.srcObject = new MediaStream([rec.videoTrack]);
      rec.video.play().catch(() => {});
      this._watchFirstFrame(rec);
    } else {
      rec.video.srcObject = null;
    }
    if (rec.audioTrack) {
      if (!rec.audioEl) {
        rec.audioEl = document.createElement('audio');
        rec.audioEl.autoplay = true;
        rec.audioEl.dataset.pid = rec.id;
        this.audioHost.appendChild(rec.audioEl);
      }
      rec.audioEl.srcObject = new MediaStream([rec.audioTrack]);
      this._playAudio(rec.audioEl);
    } else if (rec.audioEl) {
      rec.audioEl.srcObject = null;
    }
  }

  _detachTracks(rec) {
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
    for (const rec of this.tiles.values()) {
      if (!rec.audioEl || !rec.audioEl.srcObject) continue;
      try { await rec.audioEl.play(); } catch { ok = false; }
    }
    return ok;
  }

  setSpeaking(id, speaking) {
    const rec = this.tiles.get(id === 'local' ? this.localId : id);
    if (rec) rec.el.classList.toggle('speaking', !!speaking && rec.audio !== false);
  }

  /** Re-render names/labels after a language switch. */
  refreshText() { for (const rec of this.tiles.values()) this._render(rec); }

  relayout() {
    const n = this.tiles.size;
    if (!n) return;
    const cs = getComputedStyle(this.box);
    const W = this.box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const H = this.box.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    if (W <= 0 || H <= 0) return;
    const { cols, w, h } = bestLayout(n, W, H);
    this.grid.style.setProperty('--cols', String(cols));
    this.grid.style.setProperty('--tile-w', `${Math.floor(w)}px`);
    this.grid.style.setProperty('--tile-h', `${Math.floor(h)}px`);
    this.grid.dataset.count = String(n);
  }
}
