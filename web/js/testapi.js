// window.tb: the hooks the automated tests drive the client through (state, roles,
// participants, per-track statistics, moderator requests, a fake screen share, a client
// that ignores moderators to prove the relay enforces them). Not used by the UI.

/** h: {roomView, chatPanel, recordingApi, join, leave, setMic, setCam, action, toggleScreen} */
export function installTestApi(app, h) {
  window.tb = {
    get pubPc() { return app.session ? app.session.pubPc : null; },
    get subPc() { return app.session ? app.session.subPc : null; },
    get participantId() { return app.participantId; },
    get state() { return app.state; },
    get firstFrameAt() { return app.firstFrameAt; },
    get joinClickedAt() { return app.joinClickedAt; },
    get room() { return app.room; },
    get localStream() { return app.localStream; },
    get recording() { return h.recordingApi; },
    get role() { return app.self.role; },
    get self() { return JSON.parse(JSON.stringify(app.self)); },
    get roomState() { return JSON.parse(JSON.stringify(app.roomState)); },
    get lobby() { return app.lobby.map((w) => ({ ...w })); },
    get chat() { return h.chatPanel.messages.map((m) => ({ ...m })); },
    get layout() { return app.layout; },
    get mainTile() { return h.roomView.main; },
    get speaker() { return h.roomView.speaker; },
    get finalReason() { return app.final; },
    get hall() { return app.hall; },
    get sharingScreen() { return !!app.screenTrack; },
    get ignoreModeration() { return app.ignoreModeration; },
    set ignoreModeration(v) { app.ignoreModeration = !!v; },
    participants() {
      return [...app.participants.values()].map((p) => ({
        id: p.id, name: p.name, audio: p.audio, video: p.video, role: p.role, hand: p.hand,
        floor: p.floor, muted: { ...p.muted }, tracks: p.tracks.map((x) => ({ ...x })),
      }));
    },
    tiles() { return [...document.querySelectorAll('#grid .tile')].map((e) => e.dataset.tile); },
    join(opts = {}) { return h.join({ room: opts.room, name: opts.name }); },
    leave() { return h.leave(); },
    setMic(on) { h.setMic(!!on); },
    setCam(on) { h.setCam(!!on); },
    raiseHand(raised = true) { return h.action('hand', { raised: !!raised }); },
    sendChat(text) { return h.action('chat', { text }); },
    request(type, fields = {}) { return h.action(type, fields, { confirm: false }); },
    shareScreen(opts = {}) { return app.screenTrack ? Promise.resolve() : h.toggleScreen(opts); },
    stopScreen() { return app.screenTrack ? h.toggleScreen() : Promise.resolve(); },
    outboundStats() { return app.session ? app.session.outboundStats() : Promise.resolve(null); },
    trackStats() { return app.session ? app.session.statsByTrack() : Promise.resolve({}); },
    async stats() {
      const ids = [...app.participants.keys()];
      const raw = app.session ? await app.session.statsByParticipant(ids)
        : Object.fromEntries(ids.map((id) => [id, { videoFramesDecoded: 0, audioPacketsReceived: 0, videoPacketsReceived: 0 }]));
      const out = {};
      for (const [pid, s] of Object.entries(raw)) {
        out[pid] = {
          videoFramesDecoded: s.videoFramesDecoded,
          audioPacketsReceived: s.audioPacketsReceived,
          videoPacketsReceived: s.videoPacketsReceived,
        };
        if (!app.firstFrameAt && s.videoFramesDecoded > 0) app.firstFrameAt = performance.now();
      }
      return out;
    },
  };
}
