// The participant list, with roles, raised hands in order, who holds the floor and who
// is muted; for moderators also the waiting room, the controls of each person (mute,
// ask to unmute, give the floor, bring on stage, remove, ban) and of the meeting (kind,
// lock, waiting room, chat, floor time, consent to recording, export, end for all).
//
// The whole list is rebuilt on every change (a meeting has tens of people, not
// thousands); an open row menu and the focused control survive the rebuild.

import { t } from '../i18n.js';
import { icon } from './icons.js';
import { initials, avatarColor } from './room.js';
import { has, listRank } from '../roles.js';

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
};

function button(label, action, { iconName, danger = false, pid, small = true, primary = false } = {}) {
  const b = el('button', `btn ${small ? 'btn-small' : ''} ${danger ? 'btn-danger' : ''} ${primary ? 'btn-primary' : ''}`);
  b.type = 'button';
  b.dataset.action = action;
  if (pid) b.dataset.pid = pid;
  if (iconName) b.insertAdjacentHTML('beforeend', icon(iconName));
  b.appendChild(el('span', '', label));
  return b;
}

export class PeoplePanel {
  /**
   * @param {HTMLElement} root
   * @param {{onAction: (action: string, fields: object) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.state = null;
    root.addEventListener('click', (e) => this._onClick(e));
    root.addEventListener('change', (e) => this._onChange(e));
  }

  /**
   * state: {self, selfId, participants: Map, lobby: [], room: {...}, kinds: [names]}
   * self/participants entries: {id, name, role, perms, audio, video, muted, hand,
   * hand_seq, floor, on_stage, consent}
   */
  render(state) {
    this.state = state;
    const openMenu = this.root.querySelector('details.row-menu[open]');
    const openPid = openMenu ? openMenu.dataset.pid : null;
    const roomOpen = !!this.root.querySelector('details.room-controls[open]');
    const focused = document.activeElement && this.root.contains(document.activeElement)
      ? { action: document.activeElement.dataset.action, pid: document.activeElement.dataset.pid,
          id: document.activeElement.id } : null;

    const { self, participants, lobby, room } = state;
    const mod = has(self, 'moderate');
    const frag = document.createDocumentFragment();
    if (mod) frag.appendChild(this._roomControls(room, state.kinds || [], roomOpen));
    if (mod && lobby.length) frag.appendChild(this._lobby(lobby));
    const everyone = [self, ...participants.values()];
    const hands = everyone.filter((p) => p.hand).sort((a, b) => (a.hand_seq || 0) - (b.hand_seq || 0));
    if (hands.length) frag.appendChild(this._hands(hands, mod, room));
    frag.appendChild(this._list(everyone, mod, room));
    this.root.replaceChildren(frag);

    if (openPid) {
      const d = this.root.querySelector(`details.row-menu[data-pid="${CSS.escape(openPid)}"]`);
      if (d) d.open = true;
    }
    if (focused) {
      let target = null;
      if (focused.id) target = this.root.querySelector(`#${CSS.escape(focused.id)}`);
      if (!target && focused.action) {
        const sel = `[data-action="${CSS.escape(focused.action)}"]` +
          (focused.pid ? `[data-pid="${CSS.escape(focused.pid)}"]` : '');
        target = this.root.querySelector(sel);
      }
      if (target) target.focus();
    }
  }

  _roomControls(room, kinds, open) {
    const d = el('details', 'room-controls');
    d.open = open;
    const s = el('summary', 'panel-subhead');
    s.insertAdjacentHTML('beforeend', icon('shield'));
    s.appendChild(el('span', '', t('mod.roomControls')));
    d.appendChild(s);
    const body = el('div', 'room-controls-body');

    const kind = el('label', 'select-field');
    kind.appendChild(el('span', 'select-label', t('mod.kind')));
    const sel = el('select');
    sel.id = 'mod-kind';
    // The server's list (join reply `kinds`): one source for the config, server and client.
    for (const k of kinds) {
      const o = new Option(t(`kind.${k}`), k);
      sel.appendChild(o);
    }
    sel.value = room.kind;
    kind.appendChild(sel);
    body.appendChild(kind);

    const toggles = [
      ['mod-lock', 'locked', 'mod.lock', room.locked],
      ['mod-waiting', 'waiting_room', 'mod.waitingRoom', room.waiting_room],
      ['mod-chat', 'chat', 'mod.chat', room.chat],
    ];
    for (const [id, key, label, on] of toggles) {
      const l = el('label', 'switch');
      const c = el('input');
      c.type = 'checkbox';
      c.id = id;
      c.dataset.key = key;
      c.checked = !!on;
      l.appendChild(c);
      l.appendChild(el('span', 'switch-label', t(label)));
      body.appendChild(l);
    }

    const fs = el('label', 'select-field');
    fs.appendChild(el('span', 'select-label', t('mod.floorSeconds')));
    const inp = el('input');
    inp.type = 'number';
    inp.min = '5';
    inp.max = '36000';
    inp.step = '5';
    inp.id = 'mod-floor-seconds';
    inp.value = String(room.floor_seconds || 120);
    fs.appendChild(inp);
    body.appendChild(fs);

    const ex = el('div', 'export-row');
    ex.appendChild(el('span', 'select-label', t('mod.export')));
    const what = el('select');
    what.id = 'mod-export-what';
    for (const w of ['register', 'speaking', 'audit', 'chat']) what.appendChild(new Option(t(`export.${w}`), w));
    ex.appendChild(what);
    const btns = el('div', 'btn-row');
    btns.appendChild(button('CSV', 'export-csv', { iconName: 'download' }));
    btns.appendChild(button('JSON', 'export-json', { iconName: 'download' }));
    ex.appendChild(btns);
    body.appendChild(ex);

    body.appendChild(button(t('mod.consentRequest'), 'consent-request', { iconName: 'shield' }));
    body.appendChild(button(t('mod.end'), 'end', { iconName: 'leave', danger: true }));
    d.appendChild(body);
    return d;
  }

  _lobby(lobby) {
    const sec = el('section', 'panel-section lobby');
    const h = el('h3', 'panel-subhead', t('lobby.heading', { count: lobby.length }));
    sec.appendChild(h);
    for (const w of lobby) {
      const row = el('div', 'person waiting-person');
      row.dataset.pid = w.id;
      row.appendChild(this._avatar(w));
      const info = el('div', 'person-info');
      info.appendChild(el('span', 'person-name', w.name));
      info.appendChild(el('span', 'person-sub', w.anonymous ? t('lobby.anonymous') : t(`role.${w.role}`)));
      row.appendChild(info);
      const acts = el('div', 'person-actions');
      acts.appendChild(button(t('lobby.admit'), 'admit', { pid: w.id, primary: true }));
      acts.appendChild(button(t('lobby.deny'), 'deny', { pid: w.id }));
      row.appendChild(acts);
      sec.appendChild(row);
    }
    if (lobby.length > 1) sec.appendChild(button(t('lobby.admitAll'), 'admit-all'));
    return sec;
  }

  _hands(hands, mod, room) {
    const sec = el('section', 'panel-section hands');
    sec.appendChild(el('h3', 'panel-subhead', t('people.hands', { count: hands.length })));
    const ol = el('ol', 'hand-queue');
    for (const p of hands) {
      const li = el('li', 'person');
      li.dataset.pid = p.id;
      li.appendChild(this._avatar(p));
      const info = el('div', 'person-info');
      info.appendChild(el('span', 'person-name', p.id === this.state.selfId ? t('room.youSuffix', { name: p.name }) : p.name));
      info.appendChild(el('span', 'person-sub', t(`role.${p.role}`)));
      li.appendChild(info);
      if (mod) {
        const acts = el('div', 'person-actions');
        acts.appendChild(button(t('floor.give', { seconds: room.floor_seconds }), 'floor-give', { pid: p.id, primary: true, iconName: 'gavel' }));
        if (p.role === 'viewer') acts.appendChild(button(t('mod.stageOn'), 'stage-on', { pid: p.id, iconName: 'stage' }));
        acts.appendChild(button(t('people.lowerHand'), 'hand-lower', { pid: p.id }));
        li.appendChild(acts);
      }
      ol.appendChild(li);
    }
    sec.appendChild(ol);
    return sec;
  }

  _list(everyone, mod, room) {
    const sec = el('section', 'panel-section everyone');
    sec.appendChild(el('h3', 'panel-subhead', t('people.everyone', { count: everyone.length })));
    const sorted = [...everyone].sort((a, b) => (a.id === this.state.selfId ? -1 : b.id === this.state.selfId ? 1 : 0) ||
      listRank(a) - listRank(b) || a.name.localeCompare(b.name));
    const ul = el('ul', 'people-list');
    for (const p of sorted) ul.appendChild(this._row(p, mod, room));
    sec.appendChild(ul);
    return sec;
  }

  _avatar(p) {
    const a = el('span', 'person-avatar', initials(p.name));
    a.setAttribute('aria-hidden', 'true');
    a.style.setProperty('--avatar-bg', avatarColor(p.id + p.name));
    return a;
  }

  _row(p, mod, room) {
    const me = p.id === this.state.selfId;
    const li = el('li', 'person');
    li.dataset.pid = p.id;
    li.appendChild(this._avatar(p));
    const info = el('div', 'person-info');
    info.appendChild(el('span', 'person-name', me ? t('room.youSuffix', { name: p.name }) : p.name));
    const sub = el('span', 'person-sub');
    const role = el('span', `role-badge role-${p.role}`, t(`role.${p.role}`));
    sub.appendChild(role);
    if (p.on_stage) sub.appendChild(el('span', 'role-note', t('people.onStage')));
    if (room.consent_requested && p.consent !== undefined) {
      const c = p.consent === true ? 'yes' : p.consent === false ? 'no' : 'pending';
      sub.appendChild(el('span', `consent consent-${c}`, t(`consent.state.${c}`)));
    }
    info.appendChild(sub);
    li.appendChild(info);

    const st = el('div', 'person-state');
    const modAudio = p.muted && p.muted.audio;
    if (p.floor) st.insertAdjacentHTML('beforeend', `<span class="state-icon state-floor" title="${t('floor.has')}">${icon('gavel')}</span>`);
    if (p.hand) st.insertAdjacentHTML('beforeend', `<span class="state-icon state-hand" title="${t('people.handRaised')}">${icon('hand')}</span>`);
    if (modAudio) st.insertAdjacentHTML('beforeend', `<span class="state-icon state-muted" title="${t('room.mutedByModerator')}">${icon('micOff')}</span>`);
    else if (p.audio === false && has(p, 'publish')) st.insertAdjacentHTML('beforeend', `<span class="state-icon" title="${t('room.mutedMic')}">${icon('micOff')}</span>`);
    if (p.muted && p.muted.video) st.insertAdjacentHTML('beforeend', `<span class="state-icon state-muted" title="${t('mod.camBlocked')}">${icon('camOff')}</span>`);
    li.appendChild(st);

    if (mod && !me) li.appendChild(this._menu(p, room));
    return li;
  }

  _menu(p, room) {
    const d = el('details', 'row-menu');
    d.dataset.pid = p.id;
    const s = el('summary', 'icon-btn');
    s.setAttribute('aria-label', t('mod.actionsFor', { name: p.name }));
    s.title = t('mod.actionsFor', { name: p.name });
    s.insertAdjacentHTML('beforeend', icon('more'));
    d.appendChild(s);
    const m = el('div', 'menu');
    m.setAttribute('role', 'group');
    const add = (label, action, opts = {}) => m.appendChild(button(label, action, { pid: p.id, small: false, ...opts }));
    const canPublish = has(p, 'publish') || p.floor;
    const muted = p.muted || {};
    if (canPublish || muted.audio) add(t(muted.audio ? 'mod.unmuteMic' : 'mod.muteMic'), muted.audio ? 'unmute-audio' : 'mute-audio', { iconName: muted.audio ? 'mic' : 'micOff' });
    if (canPublish || muted.video) add(t(muted.video ? 'mod.unmuteCam' : 'mod.muteCam'), muted.video ? 'unmute-video' : 'mute-video', { iconName: muted.video ? 'cam' : 'camOff' });
    if (canPublish && !muted.audio && p.audio === false) add(t('mod.askUnmute'), 'ask-unmute', { iconName: 'mic' });
    if (p.floor) add(t('floor.take'), 'floor-take', { iconName: 'gavel' });
    else add(t('floor.give', { seconds: room.floor_seconds }), 'floor-give', { iconName: 'gavel' });
    if (p.role === 'viewer' || p.role === 'participant') add(t('mod.stageOn'), 'stage-on', { iconName: 'stage' });
    if (p.on_stage) add(t('mod.stageOff'), 'stage-off', { iconName: 'stage' });
    if (p.hand) add(t('people.lowerHand'), 'hand-lower', { iconName: 'hand' });
    add(t('mod.remove'), 'remove', { iconName: 'leave', danger: true });
    add(t('mod.ban'), 'ban', { iconName: 'block', danger: true });
    d.appendChild(m);
    return d;
  }

  _onClick(e) {
    const b = e.target.closest('button[data-action]');
    if (!b || !this.root.contains(b)) return;
    const pid = b.dataset.pid;
    const a = b.dataset.action;
    const menu = b.closest('details.row-menu');
    if (menu) menu.open = false;
    const secs = () => {
      const v = Number(this.root.querySelector('#mod-floor-seconds')?.value);
      return Number.isFinite(v) && v >= 5 ? Math.round(v) : (this.state.room.floor_seconds || 120);
    };
    const map = {
      'admit': () => ['admit', { participant_id: pid }],
      'admit-all': () => ['admit', { all: true }],
      'deny': () => ['deny', { participant_id: pid }],
      'floor-give': () => ['floor_give', { participant_id: pid, seconds: secs() }],
      'floor-take': () => ['floor_take', {}],
      'hand-lower': () => ['hand_lower', { participant_id: pid }],
      'stage-on': () => ['stage', { participant_id: pid, on: true }],
      'stage-off': () => ['stage', { participant_id: pid, on: false }],
      'mute-audio': () => ['mute', { participant_id: pid, kind: 'audio', muted: true }],
      'unmute-audio': () => ['mute', { participant_id: pid, kind: 'audio', muted: false }],
      'mute-video': () => ['mute', { participant_id: pid, kind: 'video', muted: true }],
      'unmute-video': () => ['mute', { participant_id: pid, kind: 'video', muted: false }],
      'ask-unmute': () => ['ask_unmute', { participant_id: pid, kind: 'audio' }],
      'remove': () => ['remove', { participant_id: pid, ban: false }],
      'ban': () => ['remove', { participant_id: pid, ban: true }],
      'consent-request': () => ['consent_request', {}],
      'end': () => ['end', {}],
      'export-csv': () => ['export', { what: this.root.querySelector('#mod-export-what').value, format: 'csv' }],
      'export-json': () => ['export', { what: this.root.querySelector('#mod-export-what').value, format: 'json' }],
    };
    if (map[a]) this.hooks.onAction(...map[a]());
  }

  _onChange(e) {
    const tgt = e.target;
    if (tgt.id === 'mod-kind') this.hooks.onAction('room_set', { kind: tgt.value });
    else if (tgt.id === 'mod-lock') this.hooks.onAction('lock', { locked: tgt.checked });
    else if (tgt.id === 'mod-waiting') this.hooks.onAction('room_set', { waiting_room: tgt.checked });
    else if (tgt.id === 'mod-chat') this.hooks.onAction('room_set', { chat: tgt.checked });
    else if (tgt.id === 'mod-floor-seconds') {
      const v = Math.round(Number(tgt.value));
      if (v >= 5 && v <= 36000) this.hooks.onAction('room_set', { floor_seconds: v });
    }
  }
}
