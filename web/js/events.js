// What the server tells a participant in the room (docs/protocol.md, "Events"), applied
// to the client's state: media negotiation goes to the session, arrivals and departures
// to the roster, room and lobby changes to the view, chat to the chat panel; requests
// that need the user (unmute, recording consent) become toasts and dialogs. After an
// event that changes what is shown, the header, toolbar, panel and floor are redrawn.

import { t } from './i18n.js';
import { toast } from './ui/notify.js';

// deps: roster (roster.js), view() and chat() (the current RoomView and ChatPanel),
// applySelf(p), onAdmitted(msg), askConsent(byName), chooseLayout(), action(kind, fields),
// setMic(on), setCam(on), refresh() (redraws header, toolbar, panel and floor).
export function createEventHandler(app, deps) {
  const { roster } = deps;
  const QUIET_ABOVE = 12; // no arrival/departure toasts in bigger rooms

  function arrivals(msg) {
    // The server batches arrivals that come together.
    const list = (msg.participants || [msg.participant]).filter(Boolean);
    if (!list.length) return false;
    list.forEach(roster.add);
    if (app.participants.size <= QUIET_ABOVE && !app.hall) {
      const text = list.length === 1
        ? t('room.someoneJoined', { name: list[0].name })
        : t('room.severalJoined', { names: list.map((p) => p.name).join(', ') });
      toast(text, { timeout: 3500 });
    }
    return true;
  }

  function updated(msg) {
    if (msg.participant_id === app.participantId) {
      if (msg.participant) deps.applySelf(msg.participant);
      return;
    }
    const fields = msg.participant || {};
    if (!msg.participant) {
      if (typeof msg.audio === 'boolean') fields.audio = msg.audio;
      if (typeof msg.video === 'boolean') fields.video = msg.video;
    }
    roster.update(msg.participant_id, fields);
    roster.renderRemote();
  }

  function lobby(msg) {
    const before = new Set(app.lobby.map((w) => w.id));
    app.lobby = Array.isArray(msg.waiting) ? msg.waiting : [];
    for (const w of app.lobby) {
      if (before.has(w.id)) continue;
      toast(t('lobby.someoneWaits', { name: w.name }), {
        kind: 'info', timeout: 8000,
        action: { label: t('lobby.admit'), onClick: () => deps.action('admit', { participant_id: w.id }) },
      });
    }
  }

  function unmuteRequest(msg) {
    const video = msg.kind === 'video';
    toast(t(video ? 'room.unmuteRequestCam' : 'room.unmuteRequest', { name: msg.by_name || '' }), {
      kind: 'info', timeout: 15000,
      action: {
        label: t(video ? 'room.turnOnCam' : 'room.turnOnMic'),
        onClick: () => (video ? deps.setCam(true) : deps.setMic(true)),
      },
    });
  }

  /** Returns false for events that change nothing on screen beyond themselves. */
  function apply(msg) {
    switch (msg.type) {
      case 'offer':
      case 'candidate':
      case 'connection_state':
        if (app.session) app.session.handleEvent(msg);
        else app.pendingEvents.push(msg);
        return false;
      case 'admitted':
        deps.onAdmitted(msg);
        return false;
      case 'denied':
      case 'removed':
      case 'ended':
      case 'replaced':
      case 'expired':
        app.final = msg.type === 'removed' && msg.ban ? 'left.banned' : `left.${msg.type}`;
        return false;
      case 'server_shutdown':
        toast(t('room.serverShutdown'), { kind: 'warning', timeout: 8000 });
        return false;
      case 'session_expiring':
        toast(t('room.expiring', { minutes: Math.max(1, Math.round(msg.seconds / 60)) }), { kind: 'warning', timeout: 15000 });
        return false;
      case 'participant_joined':
      case 'participants_joined':
        return arrivals(msg);
      case 'participant_left': {
        const rec = roster.remove(msg.participant_id);
        if (rec && app.participants.size < QUIET_ABOVE && !app.hall) toast(t('room.someoneLeft', { name: rec.name }), { timeout: 3500 });
        return true;
      }
      case 'participant_updated':
        updated(msg);
        return true;
      case 'track_added':
        roster.addTrack(msg.participant_id, msg.track);
        return true;
      case 'track_removed':
        roster.removeTrack(msg.participant_id, msg.track_id);
        return true;
      case 'room_updated':
        app.roomState = { ...app.roomState, ...msg.room };
        deps.chooseLayout();
        deps.view().setSpeaker(roster.tileId(app.roomState.speaker));
        return true;
      case 'speaker':
        app.roomState.speaker = msg.participant_id || null;
        deps.view().setSpeaker(roster.tileId(app.roomState.speaker));
        return false;
      case 'lobby':
        lobby(msg);
        return true;
      case 'chat':
        deps.chat().add(msg.message);
        return true;
      case 'chat_deleted':
        deps.chat().remove(msg.message_id);
        return true;
      case 'unmute_request':
        unmuteRequest(msg);
        return false;
      case 'consent_request':
        deps.askConsent(msg.by_name);
        return false;
      default:
        console.debug('[app] unhandled event', msg.type);
        return true;
    }
  }

  return function onServerEvent(msg) {
    if (!['joined', 'joining', 'reconnecting', 'waiting'].includes(app.state)) return;
    if (apply(msg)) deps.refresh();
  };
}
