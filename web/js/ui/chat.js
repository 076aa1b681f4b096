// The room's chat: messages with sender, time and text; a box to write (Enter sends,
// Shift+Enter is a new line); moderators delete messages. Text is always set with
// textContent, never parsed as HTML.

import { t, getLang } from '../i18n.js';
import { icon } from './icons.js';

export class ChatPanel {
  /**
   * @param {HTMLElement} root  contains .chat-list, form.chat-form with textarea
   * @param {{onSend: (text: string) => Promise<void>, onDelete: (id: number) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.list = root.querySelector('.chat-list');
    this.form = root.querySelector('.chat-form');
    this.input = root.querySelector('textarea');
    this.notice = root.querySelector('.chat-notice');
    this.messages = [];
    this.moderator = false;
    this.selfId = null;
    this.unread = 0;
    this.visible = false;
    this.onUnread = () => {};
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this._send(); });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this._send(); }
    });
    this.list.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-msg]');
      if (b) this.hooks.onDelete(Number(b.dataset.msg));
    });
  }

  async _send() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.disabled = true;
    try {
      await this.hooks.onSend(text);
      this.input.value = '';
    } catch { /* the app shows the error */ }
    this.input.disabled = false;
    this.input.focus();
  }

  setContext({ selfId, moderator, canWrite, reasonKey }) {
    this.selfId = selfId;
    this.moderator = moderator;
    this.form.hidden = !canWrite;
    this.notice.hidden = canWrite;
    this.notice.textContent = canWrite ? '' : t(reasonKey || 'chat.off');
    this._renderAll();
  }

  setMessages(list) {
    this.messages = Array.isArray(list) ? list.slice() : [];
    this.unread = 0;
    this._renderAll();
  }

  add(msg) {
    if (!msg || this.messages.some((m) => m.id === msg.id)) return;
    this.messages.push(msg);
    if (this.messages.length > 300) this.messages.shift();
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 30;
    this.list.appendChild(this._item(msg));
    if (atBottom || msg.participant_id === this.selfId) this.list.scrollTop = this.list.scrollHeight;
    if (!this.visible && msg.participant_id !== this.selfId) { this.unread++; this.onUnread(this.unread); }
  }

  remove(id) {
    this.messages = this.messages.filter((m) => m.id !== id);
    const li = this.list.querySelector(`[data-id="${CSS.escape(String(id))}"]`);
    if (li) li.remove();
  }

  setVisible(v) {
    this.visible = v;
    if (v) {
      this.unread = 0;
      this.onUnread(0);
      this.list.scrollTop = this.list.scrollHeight;
    }
  }

  _renderAll() {
    this.list.dataset.empty = t('chat.empty');
    this.list.replaceChildren(...this.messages.map((m) => this._item(m)));
    this.list.scrollTop = this.list.scrollHeight;
  }

  _item(m) {
    const li = document.createElement('li');
    li.className = 'chat-msg' + (m.participant_id === this.selfId ? ' mine' : '');
    li.dataset.id = String(m.id);
    const head = document.createElement('div');
    head.className = 'chat-head';
    const who = document.createElement('span');
    who.className = 'chat-name';
    who.textContent = m.participant_id === this.selfId ? t('room.you') : m.name;
    const when = document.createElement('time');
    when.className = 'chat-time';
    const d = new Date(m.at);
    when.dateTime = d.toISOString();
    when.textContent = d.toLocaleTimeString(getLang() === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' });
    head.append(who, when);
    if (this.moderator) {
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'icon-btn chat-delete';
      del.dataset.msg = String(m.id);
      del.setAttribute('aria-label', t('chat.delete'));
      del.title = t('chat.delete');
      del.innerHTML = icon('delete');
      head.appendChild(del);
    }
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = m.text;
    li.append(head, body);
    return li;
  }

  refreshText() { this._renderAll(); }
}
