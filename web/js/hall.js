// The hall screen: what a telebridge hall's fixed endpoint (role `site`) shows on its
// big screen. No join page and no controls: it takes its camera and microphone, joins
// with the name from its token, shows the current speaker large with the other halls in
// a strip (a shared screen takes the large place), fills the screen, and never gives up:
// if the server is unreachable at start it tries again every few seconds, and after a
// network loss the signaling reconnects and the page rejoins by itself (app.js).
//
// Run it in a kiosk browser so that sound plays without a click, e.g.
//   chromium --kiosk --autoplay-policy=no-user-gesture-required 'https://…/?room=R#token=…'

import { t } from './i18n.js';

const RETRY_MS = 3000;

let statusKey = 'hall.connecting';
let statusParams = {};

export function start(app, { join, roomView, showView, joinView }) {
  document.body.classList.add('hall');
  roomView.setShowLocal(false);
  app.layout = 'speaker';
  app.layoutChosen = true;
  roomView.setLayout('speaker');
  showView('room');
  renderStatus(app);
  // Browsers allow fullscreen only after a gesture: the first touch of the screen.
  const full = () => {
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
  };
  document.addEventListener('click', full, { once: true });
  document.addEventListener('keydown', full, { once: true });

  const params = new URLSearchParams(location.search);
  const name = (app.claims && app.claims.name) || params.get('name') || t('role.site');
  const room = joinView.values().room || (app.claims && app.claims.room) || '';
  const attempt = async () => {
    if (app.state !== 'idle') return;
    statusKey = 'hall.connecting';
    renderStatus(app);
    try {
      await joinView.startPreview();
      await join({ room, name });
    } catch {
      // joinFailed() said why; a refused token will not get better by retrying fast.
      if (app.state === 'idle') setTimeout(attempt, statusKey.startsWith('err.token') ? 30_000 : RETRY_MS);
      return;
    }
    showView(app.state === 'waiting' ? 'waiting' : 'room');
    renderStatus(app);
  };
  attempt();
}

/** A join attempt failed: say why on the screen. */
export function joinFailed(app, key, params) {
  if (!app.hall) return;
  statusKey = key;
  statusParams = params || {};
  renderStatus(app);
}

export function leftView(app) {
  statusKey = 'hall.connecting';
  renderStatus(app);
}

export function renderStatus(app) {
  const el = document.getElementById('hall-status');
  if (!el || !app.hall) return;
  let key = null;
  if (app.state === 'idle' || app.state === 'joining') key = statusKey;
  else if (app.state === 'reconnecting') key = 'hall.reconnecting';
  else if (app.state === 'joined' && app.participants.size === 0) key = 'hall.waitingOthers';
  el.hidden = !key;
  el.textContent = key ? t(key, statusParams) : '';
  el.classList.toggle('hall-status-bad', !!key && (key === 'hall.reconnecting' || key.startsWith('err.')));
}

/** A moving test picture as a "screen" (tests, and trying the layout without a real
 *  screen capture): a canvas stream at 15 fps. */
export function fakeScreenTrack() {
  const c = document.createElement('canvas');
  c.width = 1280;
  c.height = 720;
  const g = c.getContext('2d');
  let n = 0;
  const draw = () => {
    n++;
    g.fillStyle = '#0f172a';
    g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = '#2563eb';
    g.fillRect(80, 80, 1120, 120);
    g.fillStyle = '#e2e8f0';
    g.font = 'bold 64px sans-serif';
    g.fillText('Презентация / Slides', 120, 165);
    g.fillStyle = '#94a3b8';
    for (let i = 0; i < 5; i++) g.fillRect(120, 260 + i * 80, 700 + ((n * 7 + i * 90) % 300), 36);
    g.fillStyle = '#f59e0b';
    g.beginPath();
    g.arc(1050 + 80 * Math.sin(n / 10), 450, 60, 0, 2 * Math.PI);
    g.fill();
  };
  draw();
  const timer = setInterval(draw, 66);
  const track = c.captureStream(15).getVideoTracks()[0];
  track.addEventListener('ended', () => clearInterval(timer));
  const stop = track.stop.bind(track);
  track.stop = () => { clearInterval(timer); stop(); };
  return track;
}
