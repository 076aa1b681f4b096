// Modal questions with the native <dialog> element (focus trapping and Escape come with
// it): confirmations of moderator actions that cannot be undone, and the question
// whether one agrees to be recorded.

import { t } from '../i18n.js';

/**
 * Asks a question; resolves true for the confirming button, false otherwise
 * (cancel, Escape). opts: {title, text, ok, cancel, danger}
 */
export function ask({ title, text, ok, cancel, danger = false }) {
  return new Promise((resolve) => {
    const d = document.createElement('dialog');
    d.className = 'dialog';
    d.setAttribute('aria-labelledby', 'dialog-title');
    const h = document.createElement('h2');
    h.id = 'dialog-title';
    h.textContent = title;
    const p = document.createElement('p');
    p.textContent = text || '';
    const row = document.createElement('div');
    row.className = 'dialog-actions';
    const no = document.createElement('button');
    no.type = 'button';
    no.className = 'btn';
    no.textContent = cancel || t('dialog.cancel');
    const yes = document.createElement('button');
    yes.type = 'button';
    yes.className = `btn ${danger ? 'btn-danger' : 'btn-primary'}`;
    yes.textContent = ok || t('dialog.ok');
    yes.dataset.answer = 'yes';
    row.append(no, yes);
    d.append(h, p, row);
    let answered = false;
    const done = (v) => {
      if (answered) return;
      answered = true;
      d.close();
      d.remove();
      resolve(v);
    };
    no.addEventListener('click', () => done(false));
    yes.addEventListener('click', () => done(true));
    d.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.appendChild(d);
    d.showModal();
    (danger ? no : yes).focus();
  });
}

/** Closes every open question (e.g. when the meeting ends). */
export function closeAll() {
  for (const d of document.querySelectorAll('dialog.dialog')) {
    const no = d.querySelector('button:not([data-answer])');
    if (no) no.click();
  }
}
