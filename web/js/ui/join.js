// The join page: room and name fields, camera/microphone preview with toggles,
// device choice and a microphone level meter.

import { t } from '../i18n.js';
import { acquireMedia, listDevices, startLevelMeter, stopStream } from '../media.js';
import { initials, avatarColor } from './room.js';
import { renderIcons, icon } from './icons.js';

const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
const NAME_KEY = 'tb.name';

export function validRoom(room) { return ROOM_RE.test(room); }

export function validName(name) {
  const len = [...name].length;
  return len >= 1 && len <= 64 && !CONTROL_RE.test(name);
}

export function rememberedName() {
  try { return localStorage.getItem(NAME_KEY) || ''; } catch { return ''; }
}

export function rememberName(name) {
  try { localStorage.setItem(NAME_KEY, name); } catch { /* private mode */ }
}

/** Message keys describing what went wrong with the devices (for i18n re-rendering). */
export function mediaMessageKeys(audioError, videoError) {
  if (!audioError && !videoError) return [];
  if (audioError && videoError) {
    if (audioError === 'insecure') return ['err.insecure'];
    if (audioError === 'denied' && videoError === 'denied') return ['err.mediaDenied'];
    if (audioError === 'absent' && videoError === 'absent') return ['err.noDevices'];
    if (audioError === 'busy' || videoError === 'busy') return ['err.deviceBusy'];
  }
  const keys = [];
  if (videoError === 'denied') keys.push('err.cameraDenied');
  else if (videoError === 'absent') keys.push('err.noCamera');
  else if (videoError) keys.push('err.deviceBusy');
  if (audioError === 'denied') keys.push('err.micDenied');
  else if (audioError === 'absent') keys.push('err.noMic');
  else if (audioError && !keys.includes('err.deviceBusy')) keys.push('err.deviceBusy');
  return keys;
}

export class JoinView {
  constructor(root, { onSubmit }) {
    this.root = root;
    this.onSubmit = onSubmit;
    this.$ = (sel) => root.querySelector(sel);
    this.stream = null;
    this.micOn = true;
    this.camOn = true;
    this.audioError = null;
    this.videoError = null;
    this.stopMeter = () => {};
    this.acquiring = null;
    this.busy = false;
    this.errorKey = null;
    this.errorParams = {};
    this.roomFromLink = false;
    this.invite = null;        // {name, role} from a join token
    this.noDevices = false;    // viewers: no camera or microphone at all

    this.form = this.$('#join-form');
    this.roomInput = this.$('#room-input');
    this.nameInput = this.$('#name-input');
    this.video = this.$('#preview-video');
    this.micBtn = this.$('#preview-mic');
    this.camBtn = this.$('#preview-cam');
    this.camSelect = this.$('#camera-select');
    this.micSelect = this.$('#mic-select');
    this.meterBar = this.$('#mic-meter-bar');

    this.form.addEventListener('submit', (e) => { e.preventDefault(); this._submit(); });
    this.nameInput.addEventListener('input', () => { this._renderAvatar(); this._clearFieldError('name'); });
    this.roomInput.addEventListener('input', () => this._clearFieldError('room'));
    this.micBtn.addEventListener('click', () => this.setMic(!this.micOn));
    this.camBtn.addEventListener('click', () => this.setCam(!this.camOn));
    this.$('#media-retry').addEventListener('click', () => this.startPreview());
    this.camSelect.addEventListener('change', () => this._switchDevice('video'));
    this.micSelect.addEventListener('change', () => this._switchDevice('audio'));
  }

  /** Prefill from the URL / localStorage. */
  prefill({ room, name }) {
    this.roomFromLink = !!room && validRoom(room);
    this.roomInput.value = room || '';
    this.nameInput.value = name || rememberedName();
    this.root.classList.toggle('room-from-link', this.roomFromLink);
    if (room && !this.roomFromLink) this._fieldError('room', 'err.roomInvalid');
    this.refreshText();
  }

  focusFirst() {
    const target = !this.roomFromLink && !this.roomInput.value ? this.roomInput
      : !this.nameInput.value ? this.nameInput : this.$('#join-button');
    target.focus();
  }

  values() {
    return { room: this.roomInput.value.trim(), name: this.nameInput.value.trim() };
  }

  setValues({ room, name }) {
    if (room != null) this.roomInput.value = room;
    if (name != null) this.nameInput.value = name;
    this._renderAvatar();
  }

  /** Validate the form; returns {room, name} or null (errors shown). */
  validate() {
    const { room, name } = this.values();
    let ok = true;
    if (!room) { this._fieldError('room', 'err.roomRequired'); ok = false; }
    else if (!validRoom(room)) { this._fieldError('room', 'err.roomInvalid'); ok = false; }
    if (!name) { this._fieldError('name', 'err.nameRequired'); ok = false; }
    else if (!validName(name)) { this._fieldError('name', 'err.nameInvalid'); ok = false; }
    if (!ok) {
      // Room errors need the field visible even when it came from the link.
      if (this.root.querySelector('#room-field.invalid')) this.root.classList.remove('room-from-link');
      const bad = this.root.querySelector('.field.invalid input');
      if (bad) bad.focus();
      return null;
    }
    return { room, name };
  }

  _submit() {
    if (this.busy) return;
    this.onSubmit(this.values());
  }

  _fieldError(field, key) {
    const f = this.$(`#${field}-field`);
    f.classList.add('invalid');
    const msg = f.querySelector('.field-error');
    msg.dataset.key = key;
    msg.textContent = t(key);
    f.querySelector('input').setAttribute('aria-invalid', 'true');
  }

  _clearFieldError(field) {
    const f = this.$(`#${field}-field`);
    f.classList.remove('invalid');
    const msg = f.querySelector('.field-error');
    delete msg.dataset.key;
    msg.textContent = '';
    f.querySelector('input').removeAttribute('aria-invalid');
  }

  /** Error shown above the join button (server unreachable, room full…). */
  showError(key, params = {}) {
    this.errorKey = key;
    this.errorParams = params;
    const el = this.$('#join-error');
    if (!key) { el.hidden = true; el.textContent = ''; return; }
    el.textContent = t(key, params);
    el.hidden = false;
  }

  setBusy(busy) {
    this.busy = busy;
    const btn = this.$('#join-button');
    btn.disabled = busy;
    btn.setAttribute('aria-busy', busy ? 'true' : 'false');
    btn.querySelector('.btn-label').textContent = t(busy ? 'join.joining' : 'join.button');
    btn.classList.toggle('loading', busy);
  }

  // ---- media preview ----

  /** What a join token says: a fixed name and the role (shown before joining). */
  setInvite(invite) {
    this.invite = invite;
    if (invite && invite.name) {
      this.nameInput.value = invite.name;
      this.nameInput.readOnly = true;
    }
    this.root.classList.toggle('name-from-invite', !!(invite && invite.name));
    this.refreshText();
  }

  /** Viewers need no devices: no permission prompt, no preview. */
  setNoDevices(none) {
    this.noDevices = none;
    this.root.classList.toggle('no-devices', none);
    if (none) this.stopPreview();
    this._renderPreview();
  }

  /** The chosen devices, to get them again later (when given the floor). */
  deviceIds() {
    return { audioDeviceId: this.micSelect.value || undefined, videoDeviceId: this.camSelect.value || undefined };
  }

  async startPreview() {
    if (this.noDevices) return null;
    if (this.acquiring) return this.acquiring;
    this.acquiring = (async () => {
      this.root.classList.add('media-loading');
      this._renderPreview();
      stopStream(this.stream);
      this.stopMeter();
      const res = await acquireMedia({
        audioDeviceId: this.micSelect.value || undefined,
        videoDeviceId: this.camSelect.value || undefined,
      });
      this.stream = res.stream;
      this.audioError = res.audioError;
      this.videoError = res.videoError;
      this.root.classList.remove('media-loading');
      this._applyEnabled();
      this._attachPreview();
      await this._fillDevices();
      this._renderPreview();
    })();
    try { await this.acquiring; } finally { this.acquiring = null; }
    return this.stream;
  }

  async _switchDevice(kind) {
    if (!this.stream) return;
    const deviceId = (kind === 'video' ? this.camSelect : this.micSelect).value;
    const res = await acquireMedia({
      wantAudio: kind === 'audio', wantVideo: kind === 'video',
      audioDeviceId: kind === 'audio' ? deviceId : undefined,
      videoDeviceId: kind === 'video' ? deviceId : undefined,
    });
    const fresh = kind === 'video' ? res.stream.getVideoTracks()[0] : res.stream.getAudioTracks()[0];
    if (!fresh) return;
    for (const old of (kind === 'video' ? this.stream.getVideoTracks() : this.stream.getAudioTracks())) {
      old.stop();
      this.stream.removeTrack(old);
    }
    this.stream.addTrack(fresh);
    if (kind === 'video') this.videoError = null; else this.audioError = null;
    this._applyEnabled();
    this._attachPreview();
    this._renderPreview();
  }

  _attachPreview() {
    const vt = this.stream && this.stream.getVideoTracks()[0];
    this.video.srcObject = vt ? new MediaStream([vt]) : null;
    if (vt) this.video.play().catch(() => {});
    this.stopMeter();
    const at = this.stream && this.stream.getAudioTracks()[0];
    this.stopMeter = at ? startLevelMeter(at, (lvl) => {
      this.meterBar.style.transform = `scaleX(${lvl.toFixed(3)})`;
    }) : () => {};
  }

  async _fillDevices() {
    const devs = await listDevices();
    const fill = (select, list, current) => {
      const prev = select.value;
      select.replaceChildren();
      if (!list.length) {
        const o = new Option(t('join.noDevice'), '');
        select.appendChild(o);
        select.disabled = true;
        return;
      }
      select.disabled = false;
      list.forEach((d, i) => {
        const label = d.label || `${select === this.camSelect ? t('join.camera') : t('join.microphone')} ${i + 1}`;
        select.appendChild(new Option(label, d.deviceId));
      });
      const want = current || prev;
      if (want && list.some((d) => d.deviceId === want)) select.value = want;
    };
    const vt = this.stream && this.stream.getVideoTracks()[0];
    const at = this.stream && this.stream.getAudioTracks()[0];
    fill(this.camSelect, devs.video, vt && vt.getSettings ? vt.getSettings().deviceId : '');
    fill(this.micSelect, devs.audio, at && at.getSettings ? at.getSettings().deviceId : '');
  }

  hasAudio() { return !!(this.stream && this.stream.getAudioTracks().length); }
  hasVideo() { return !!(this.stream && this.stream.getVideoTracks().length); }

  setMic(on) {
    this.micOn = on;
    this._applyEnabled();
    this._renderPreview();
  }

  setCam(on) {
    this.camOn = on;
    this._applyEnabled();
    this._renderPreview();
  }

  _applyEnabled() {
    if (!this.stream) return;
    for (const tr of this.stream.getAudioTracks()) tr.enabled = this.micOn;
    for (const tr of this.stream.getVideoTracks()) tr.enabled = this.camOn;
  }

  _renderAvatar() {
    const name = this.nameInput.value.trim();
    const av = this.$('#preview-avatar');
    if (name) av.textContent = initials(name);
    else av.innerHTML = icon('person');
    av.style.setProperty('--avatar-bg', name ? avatarColor(name) : '#475569');
  }

  _renderPreview() {
    const loading = this.root.classList.contains('media-loading');
    const hasV = this.hasVideo();
    const hasA = this.hasAudio();
    const showVideo = hasV && this.camOn && !loading;
    this.root.classList.toggle('preview-live', showVideo);
    this.root.classList.toggle('no-media', !loading && !hasV && !hasA);
    const status = this.$('#preview-status');
    status.textContent = this.noDevices ? t('join.viewerNoDevices')
      : loading ? t('join.previewLoading') : !hasV ? t('join.previewNone') : !this.camOn ? t('join.previewOff') : '';

    const setToggle = (btn, available, on, onKey, offKey, noneKey, iconOn, iconOff) => {
      btn.disabled = !available;
      btn.dataset.state = !available ? 'unavailable' : on ? 'on' : 'off';
      btn.classList.toggle('off', !available || !on);
      const label = !available ? t(noneKey) : on ? t(onKey) : t(offKey);
      btn.setAttribute('aria-label', label);
      btn.title = label;
      btn.querySelector('[data-icon]').dataset.icon = available && on ? iconOn : iconOff;
    };
    setToggle(this.micBtn, hasA, this.micOn, 'room.micOn', 'room.micOff', 'room.noMicDevice', 'mic', 'micOff');
    setToggle(this.camBtn, hasV, this.camOn, 'room.camOn', 'room.camOff', 'room.noCamDevice', 'cam', 'camOff');
    renderIcons(this.micBtn);
    renderIcons(this.camBtn);

    this.$('#mic-meter').hidden = !hasA || loading;
    const keys = loading || this.noDevices ? [] : mediaMessageKeys(this.audioError, this.videoError);
    const box = this.$('#media-message');
    box.hidden = !keys.length;
    box.querySelector('.notice-text').textContent = keys.map((k) => t(k)).join(' ');
    const retryable = this.audioError === 'busy' || this.videoError === 'busy' ||
      this.audioError === 'denied' || this.videoError === 'denied' ||
      this.audioError === 'absent' || this.videoError === 'absent';
    this.$('#media-retry').hidden = !retryable;
    this._renderAvatar();
  }

  /** Give the stream to the room (the view keeps no reference to stop it). */
  takeStream() {
    const s = this.stream;
    this.stopMeter();
    this.stopMeter = () => {};
    this.video.srcObject = null;
    this.stream = null;
    return s;
  }

  /** After leaving: the room hands the stream back (or null). */
  returnStream(stream) {
    this.stream = stream;
    this._applyEnabled();
    this._attachPreview();
    this._renderPreview();
  }

  stopPreview() {
    this.stopMeter();
    this.stopMeter = () => {};
    stopStream(this.stream);
    this.stream = null;
    this.video.srcObject = null;
  }

  refreshText() {
    const room = this.roomInput.value.trim();
    this.$('#join-heading').textContent = this.roomFromLink ? t('join.headingRoom', { room }) : t('join.heading');
    const roleLine = this.$('#join-role');
    roleLine.hidden = !(this.invite && this.invite.role);
    if (this.invite && this.invite.role) roleLine.textContent = t('join.asRole', { role: t(`role.${this.invite.role}`) });
    const hint = this.$('#name-hint');
    hint.textContent = this.invite && this.invite.name ? t('join.nameFromInvite') : t('join.nameHint');
    for (const el of this.root.querySelectorAll('.field-error[data-key]')) el.textContent = t(el.dataset.key);
    this.showError(this.errorKey, this.errorParams);
    this.setBusy(this.busy);
    this._renderPreview();
    if (this.camSelect.disabled) this.camSelect.options[0] && (this.camSelect.options[0].text = t('join.noDevice'));
    if (this.micSelect.disabled) this.micSelect.options[0] && (this.micSelect.options[0].text = t('join.noDevice'));
  }
}
