// The floor countdown everyone sees: who has the floor and how long is left. The
// server sends the remaining milliseconds (not a wall-clock end), so a client's wrong
// clock does not matter; the pill counts down from when that arrived. The server ends
// the floor by itself when the time is up, whatever this display shows.

import { t } from '../i18n.js';

export function formatSeconds(s) {
  const v = Math.max(0, Math.ceil(s));
  const m = Math.floor(v / 60);
  return `${m}:${String(v % 60).padStart(2, '0')}`;
}

export class FloorPill {
  /**
   * @param {HTMLElement} root  the pill (hidden when nobody has the floor)
   * @param {{onTake: () => void, onTick: (pid: string|null, text: string) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.floor = null;
    this.timer = null;
    this.text = root.querySelector('.floor-text');
    this.time = root.querySelector('.floor-time');
    this.bar = root.querySelector('.floor-bar-fill');
    this.take = root.querySelector('.floor-take');
    this.take.addEventListener('click', () => this.hooks.onTake());
    this.selfId = null;
    this.moderator = false;
  }

  /** floor: {participant_id, name, seconds, remaining_ms} or null. */
  update(floor, { selfId, moderator }) {
    this.selfId = selfId;
    this.moderator = moderator;
    clearInterval(this.timer);
    this.timer = null;
    this.floor = floor ? { ...floor, at: performance.now() } : null;
    if (!this.floor) {
      this.root.hidden = true;
      this.hooks.onTick(null, '');
      return;
    }
    this.root.hidden = false;
    this.root.classList.toggle('mine', floor.participant_id === selfId);
    this.take.hidden = !moderator;
    this._tick();
    if (floor.seconds > 0) this.timer = setInterval(() => this._tick(), 250);
  }

  /** Seconds left, or null for a floor without a time limit. */
  remaining() {
    const f = this.floor;
    if (!f || !(f.seconds > 0)) return null;
    return Math.max(0, (f.remaining_ms - (performance.now() - f.at)) / 1000);
  }

  _tick() {
    const f = this.floor;
    if (!f) return;
    const mine = f.participant_id === this.selfId;
    this.text.textContent = mine ? t('floor.yours') : t('floor.someone', { name: f.name });
    const left = this.remaining();
    if (left === null) {
      this.time.textContent = t('floor.noLimit');
      this.bar.style.transform = 'scaleX(1)';
      this.hooks.onTick(f.participant_id, '');
    } else {
      const text = formatSeconds(left);
      this.time.textContent = text;
      this.bar.style.transform = `scaleX(${(left / f.seconds).toFixed(4)})`;
      this.root.classList.toggle('ending', left <= 10);
      this.root.setAttribute('aria-label', `${this.text.textContent}: ${text}`);
      this.hooks.onTick(f.participant_id, text);
    }
  }

  refreshText() { this._tick(); }
}
