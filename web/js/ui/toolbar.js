// The room's toolbar as the person's role, permissions and state allow: microphone and
// camera (disabled without the floor, marked when a moderator muted them), screen
// sharing, the raised hand, the panels with their badges, the layout switch.

import { t } from '../i18n.js';
import { renderIcons } from './icons.js';
import { has } from '../roles.js';

const $ = (sel) => document.querySelector(sel);

/** `may`: may publish now (role, floor, not waiting). */
export function renderToolbar(app, may) {
  const hasA = !!(app.localStream && app.localStream.getAudioTracks().length);
  const hasV = !!(app.localStream && app.localStream.getVideoTracks().length);
  const blockedA = !!app.self.muted.audio;
  const blockedV = !!app.self.muted.video;
  const set = (btn, available, on, onKey, offKey, noneKey, iconOn, iconOff, blocked) => {
    btn.disabled = !available;
    btn.classList.toggle('off', !available || !on);
    btn.classList.toggle('blocked', blocked);
    btn.dataset.state = !available ? 'unavailable' : on ? 'on' : 'off';
    const label = t(!may ? 'room.needFloor' : blocked ? (btn.id === 'mic-btn' ? 'room.micBlocked' : 'room.camByModerator')
      : !available ? noneKey : on ? onKey : offKey);
    btn.setAttribute('aria-label', label);
    btn.title = label;
    btn.querySelector('[data-icon]').dataset.icon = available && on ? iconOn : iconOff;
    renderIcons(btn);
  };
  set($('#mic-btn'), may && hasA, app.micOn && !blockedA, 'room.micOn', 'room.micOff', 'room.noMicDevice', 'mic', 'micOff', blockedA);
  set($('#cam-btn'), may && hasV, app.camOn && !blockedV, 'room.camOn', 'room.camOff', 'room.noCamDevice', 'cam', 'camOff', blockedV);
  // Viewers never publish without the stage: no microphone or camera buttons at all.
  const viewer = app.self.role === 'viewer' && !app.self.floor;
  $('#tool-mic').hidden = viewer;
  $('#tool-cam').hidden = viewer;

  const screen = $('#screen-btn');
  // Phones' browsers cannot capture a screen: no button there.
  const canCapture = !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  $('#tool-screen').hidden = !(has(app.self, 'screen') && may && window.isSecureContext && canCapture);
  const sharing = !!app.screenTrack;
  screen.classList.toggle('active', sharing);
  screen.setAttribute('aria-pressed', String(sharing));
  const sLabel = t(sharing ? 'room.stopScreen' : 'room.shareScreen');
  screen.setAttribute('aria-label', sLabel);
  screen.title = sLabel;
  screen.querySelector('[data-icon]').dataset.icon = sharing ? 'screenOff' : 'screen';
  renderIcons(screen);

  const hand = $('#hand-btn');
  $('#tool-hand').hidden = !has(app.self, 'hand') || (may && app.self.role !== 'participant' && app.self.role !== 'viewer');
  hand.classList.toggle('active', !!app.self.hand);
  hand.setAttribute('aria-pressed', String(!!app.self.hand));
  const hLabel = t(app.self.hand ? 'room.lowerHand' : 'room.raiseHand');
  hand.setAttribute('aria-label', hLabel);
  hand.title = hLabel;

  const layout = $('#layout-btn');
  const speaker = app.layout === 'speaker';
  const lLabel = t(speaker ? 'room.layoutGrid' : 'room.layoutSpeaker');
  layout.setAttribute('aria-label', lLabel);
  layout.title = lLabel;
  layout.querySelector('[data-icon]').dataset.icon = speaker ? 'grid' : 'speakerView';
  renderIcons(layout);

  $('#tool-invite').hidden = !(has(app.self, 'moderate') || !app.token);
  $('#tool-chat').hidden = !has(app.self, 'chat') && !app.roomState.chat;

  const lobby = has(app.self, 'moderate') ? app.lobby.length : 0;
  const hands = [app.self, ...app.participants.values()].filter((p) => p.hand).length;
  const badge = $('#people-badge');
  badge.hidden = !(lobby || (has(app.self, 'moderate') && hands));
  badge.textContent = String(lobby + (has(app.self, 'moderate') ? hands : 0));
  badge.classList.toggle('urgent', lobby > 0);

  const note = $('#role-note');
  const noteKey = app.hall ? null : app.self.role === 'viewer' && !may ? 'room.viewerNote'
    : app.self.role === 'participant' && !may ? 'room.participantNote' : null;
  note.hidden = !noteKey;
  if (noteKey) note.textContent = t(noteKey);
}
