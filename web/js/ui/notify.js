// Toasts (short messages, bottom of the screen) and the top banner
// (persistent state such as "reconnecting…" or "sound blocked").

import { icon } from './icons.js';
import { t } from '../i18n.js';

const MAX_TOASTS = 4;

/**
 * Show a toast. kind: 'info' | 'success' | 'error' | 'warning'.
 * Errors stay longer and are announced assertively. action: {label, onClick} adds a
 * button (clicking it also dismisses the toast).
 */
export function toast(message, { kind = 'info', timeout, action = null } = {}) {
  const host = document.getElementById('toasts');
  if (!host) return () => {};
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const iconName = kind === 'error' ? 'error' : kind === 'warning' ? 'warning' : kind === 'success' ? 'check' : 'info';
  el.innerHTML = `${icon(iconName, 'toast-icon')}<span class="toast-text"></span>
    <button type="button" class="toast-close">${icon('close')}</button>`;
  el.querySelector('.toast-text').textContent = message;
  const closeBtn = el.querySelector('.toast-close');
  closeBtn.setAttribute('aria-label', t('toast.close'));
  const dismiss = () => {
    if (!el.isConnected) return;
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 200);
  };
  closeBtn.addEventListener('click', dismiss);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn btn-small toast-action';
    b.textContent = action.label;
    b.addEventListener('click', () => { dismiss(); action.onClick(); });
    el.insertBefore(b, closeBtn);
  }
  host.appendChild(el);
  while (host.children.length > MAX_TOASTS) host.firstElementChild.remove();
  const ms = timeout ?? (kind === 'error' ? 10_000 : 5_000);
  if (ms > 0) setTimeout(dismiss, ms);
  return dismiss;
}

/** Remove every toast (e.g. when leaving a meeting). */
export function clearToasts() {
  const host = document.getElementById('toasts');
  if (host) host.replaceChildren();
}

/**
 * The banner under the header. Only one at a time; showBanner(null) hides it.
 * opts: {kind: 'warning'|'error'|'info', spinner: bool, action: {label, onClick}}
 */
export function showBanner(message, { kind = 'warning', spinner = false, action = null } = {}) {
  const el = document.getElementById('banner');
  if (!el) return;
  if (!message) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  el.className = `banner banner-${kind}`;
  el.replaceChildren();
  if (spinner) {
    const s = document.createElement('span');
    s.className = 'spinner';
    s.setAttribute('aria-hidden', 'true');
    el.appendChild(s);
  } else {
    el.insertAdjacentHTML('beforeend', icon(kind === 'error' ? 'error' : kind === 'info' ? 'volume' : 'warning'));
  }
  const text = document.createElement('span');
  text.className = 'banner-text';
  text.textContent = message;
  el.appendChild(text);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn btn-small';
    b.textContent = action.label;
    b.addEventListener('click', action.onClick);
    el.appendChild(b);
  }
  el.hidden = false;
}
