// Reconnecting: when the signaling WebSocket drops (a network loss, a server restart)
// the page goes `reconnecting` — media torn down, the tiles greyed — and, once the
// socket is back, joins again with the same name and token and rebuilds its peer
// connections. A close the server meant for good (removed, replaced, denied, ended,
// expired) ends the participation instead. A hall keeps trying where a person is told
// why the server refuses them.

import { t } from './i18n.js';
import { acquireMedia } from './media.js';
import { toast } from './ui/notify.js';
import { mayPublish } from './roles.js';

// Close codes of docs/protocol.md after which the client must not come back by itself.
const FINAL_KEYS = { 4001: 'left.removed', 4002: 'left.replaced', 4003: 'left.denied', 4004: 'left.ended', 4005: 'left.expired' };
// Refusals a hall does not retry: its link itself is no good.
const HALL_GIVES_UP = ['banned', 'token_expired', 'token_signature', 'token_malformed', 'token_alg', 'token_room'];

/**
 * @param app  the app state (sig, state, session, hall, localStream, final…)
 * @param h    {finalLeave(key), setState(st), clearRemote(), render(), joinFields(),
 *              errorKeyFor(err), leave(), enterWaiting(data), enterRoom(data),
 *              deviceIds(), startSession(sig, data)}
 */
export function createReconnect(app, h) {
  function onSignalingClose(sig, { willRetry, final, code }) {
    if (app.sig !== sig) return;
    if (final) {
      h.finalLeave(app.final || FINAL_KEYS[code]);
      return;
    }
    if ((app.state === 'joined' || app.state === 'waiting') && willRetry) {
      h.setState('reconnecting');
      if (app.session) { app.session.close(); app.session = null; }
      app.screenTrack = null;
      app.pendingEvents = [];
      document.body.classList.add('stale');
      h.clearRemote();
      h.render();
    }
  }

  async function rejoin(sig) {
    if (app.sig !== sig || app.state !== 'reconnecting') return;
    let data;
    try {
      data = await sig.request('join', h.joinFields());
    } catch (err) {
      if (err.code === 'disconnected' || err.code === 'timeout') return;   // next attempt follows
      if (app.hall && !HALL_GIVES_UP.includes(err.code)) {
        // A hall keeps trying (the server may be coming back with its rooms).
        setTimeout(() => { if (app.sig === sig && app.state === 'reconnecting') sig.restart(); }, 3000);
        return;
      }
      // The server refuses us now (room full, banned…): stop trying.
      const [key, p] = h.errorKeyFor(err);
      toast(t(key, p), { kind: 'error' });
      await h.leave();
      return;
    }
    if (app.sig !== sig || app.state !== 'reconnecting') return;
    document.body.classList.remove('stale');
    if (data.waiting) {
      h.enterWaiting(data);
      h.render();
      return;
    }
    if (!app.localStream && mayPublish(data.self || {})) {
      app.localStream = (await acquireMedia(h.deviceIds())).stream;
    }
    h.enterRoom(data);
    h.setState('joined');
    h.render();
    toast(t('room.reconnected'), { kind: 'success', timeout: 3000 });
    await h.startSession(sig, data);
  }

  return { onSignalingClose, rejoin };
}
