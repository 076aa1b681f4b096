// Publishing on demand: someone who may not publish now (a participant without the
// floor, a viewer in the audience) keeps no camera or microphone open. Given the floor
// or brought on stage, the client gets the devices and publishes; when it ends, it stops
// publishing and releases them. Screen sharing adds a second video track. Starts and
// stops are serialized so that a quick floor-then-take-back cannot interleave.

import { t } from './i18n.js';
import { acquireMedia, stopStream } from './media.js';
import { toast } from './ui/notify.js';
import { fakeScreenTrack } from './hall.js';

/**
 * @param app  the app state (session, localStream, micOn, camOn, self, screenTrack…)
 * @param h    {mayPublish(), deviceIds(), render(), startMeter(), sendMediaState()}
 */
export function createPublishing(app, h) {
  /** Given the floor or brought on stage: get the devices and publish. */
  function start() {
    const run = (app.publishing || Promise.resolve()).catch(() => {}).then(async () => {
      if (!app.session || !h.mayPublish() || app.session.publishing) return;
      if (!app.localStream || !app.localStream.getTracks().length) {
        const res = await acquireMedia(h.deviceIds());
        if (!h.mayPublish()) { stopStream(res.stream); return; }
        app.localStream = res.stream;
        app.micOn = true;
        app.camOn = true;
      }
      for (const tr of app.localStream.getAudioTracks()) tr.enabled = app.micOn && !app.self.muted.audio;
      for (const tr of app.localStream.getVideoTracks()) tr.enabled = app.camOn && !app.self.muted.video;
      app.session.setLocalStream(app.localStream);
      h.render();
      h.startMeter();
      h.sendMediaState();
      if (app.localStream.getTracks().length) await app.session.publish();
    });
    app.publishing = run;
    return run;
  }

  /** The floor ended or back in the audience: stop sending and release the devices. */
  function stop() {
    const run = (app.publishing || Promise.resolve()).catch(() => {}).then(async () => {
      if (app.screenTrack) { app.screenTrack.stop(); app.screenTrack = null; }
      if (app.session) await app.session.unpublish();
      app.stopLocalMeter();
      app.stopLocalMeter = () => {};
      stopStream(app.localStream);
      app.localStream = null;
      if (app.session) app.session.setLocalStream(null);
      h.render();
      h.sendMediaState();
    });
    app.publishing = run;
    return run;
  }

  async function toggleScreen(opts = {}) {
    if (!app.session) return;
    if (app.screenTrack) {
      const tr = app.screenTrack;
      app.screenTrack = null;
      tr.stop();
      h.render();
      await app.session.stopScreen();
      return;
    }
    let track;
    try {
      track = opts.fake ? fakeScreenTrack() : (await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 15, max: 30 } }, audio: false,
      })).getVideoTracks()[0];
    } catch (err) {
      if (err && err.name !== 'NotAllowedError') toast(t('room.screenFailed', { reason: err.message || err.name }), { kind: 'error' });
      return;
    }
    if (!track) return;
    app.screenTrack = track;
    track.addEventListener('ended', () => { if (app.screenTrack === track) toggleScreen(); });
    h.render();
    try {
      await app.session.startScreen(track);
    } catch (err) {
      app.screenTrack = null;
      track.stop();
      h.render();
    }
  }

  return { start, stop, toggleScreen };
}
