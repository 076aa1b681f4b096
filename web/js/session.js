// The two RTCPeerConnections of one joined session (protocol.md, "pub" and "sub").
//
// A Session lives as long as one signaling connection: after a reconnect the app
// re-joins and builds a new Session. Events (EventTarget, detail in e.detail):
//   'remote'       Map participantId -> [{track, kind, mid, trackId}] (after every change)
//   'pc-state'     {pc: 'pub'|'sub', state}
//   'failed'       {pc, why}   the media path is dead; the app reconnects
//   'error'        {code, reason, during}  a request failed (shown as a toast)

const LIVE_DIRECTIONS = new Set(['sendonly', 'sendrecv']);
const DISCONNECTED_GRACE_MS = 10_000;

/** Split an SDP into m-sections: {mid, kind, port, direction, stream, trackId}. */
export function parseSections(sdp) {
  const out = [];
  let cur = null;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [kind, port] = line.slice(2).split(' ');
      cur = { kind, port: Number(port), mid: null, direction: 'sendrecv', stream: null, trackId: null };
      out.push(cur);
    } else if (!cur) {
      continue;
    } else if (line.startsWith('a=mid:')) {
      cur.mid = line.slice(6);
    } else if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(line)) {
      cur.direction = line.slice(2);
    } else if (line.startsWith('a=msid:')) {
      const [stream, trackId] = line.slice(7).split(' ');
      cur.stream = stream; cur.trackId = trackId || null;
    } else if (!cur.stream && /^a=ssrc:\d+ msid:/.test(line)) {
      const [stream, trackId] = line.replace(/^a=ssrc:\d+ msid:/, '').split(' ');
      cur.stream = stream; cur.trackId = trackId || null;
    }
  }
  return out;
}

export class Session extends EventTarget {
  /**
   * @param {import('./signaling.js').Signaling} sig
   * @param {{iceServers?: RTCIceServer[], localStream?: MediaStream|null}} opts
   */
  constructor(sig, { iceServers = [], localStream = null } = {}) {
    super();
    this.sig = sig;
    this.config = {
      iceServers: Array.isArray(iceServers) ? iceServers : [],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    };
    this.localStream = localStream;
    this.pubPc = null;
    this.subPc = null;
    this.closed = false;
    this.remoteQueue = { pub: [], sub: [] };     // relay candidates before the remote description
    this.localQueue = { pub: [], sub: [] };      // our candidates before our description was sent
    this.localReady = { pub: false, sub: false };
    this.endSent = { pub: false, sub: false };
    this.offerQueue = [];
    this.offerBusy = false;
    this.lastRevision = -1;
    this.sections = new Map();                   // mid -> section of the latest sub offer
    this.streamByMid = new Map();                // mid -> stream id seen in ontrack (fallback)
    this.remote = new Map();
    this.discTimers = {};
    this.pubChain = Promise.resolve();
    this.screenTx = null;
    // The subscribe pc exists from the start: the relay may offer right after join.
    this.subPc = this._makePc('sub');
    this.subPc.ontrack = (ev) => {
      const mid = ev.transceiver && ev.transceiver.mid;
      if (mid && ev.streams && ev.streams[0]) this.streamByMid.set(mid, ev.streams[0].id);
      this._reconcile();
    };
  }

  /** Publish, when there is something to send (the subscribe pc exists from the start). */
  async start() {
    const tracks = this.localStream ? this.localStream.getTracks() : [];
    if (tracks.length) await this.publish();
  }

  /** The camera/microphone stream to publish (e.g. acquired when given the floor). */
  setLocalStream(stream) { this.localStream = stream; }

  get publishing() { return !!this.pubPc; }
  get sharingScreen() { return !!this.screenTx; }

  /** (Re)negotiate the publish connection with the current local tracks. Offers are
   *  serialized: a screen share started during a publish waits for it. */
  publish() {
    const run = this.pubChain.catch(() => {}).then(() => this._publish());
    this.pubChain = run;
    return run;
  }

  _ensurePubPc() {
    if (this.pubPc) return this.pubPc;
    this.pubPc = this._makePc('pub');
    const stream = this.localStream || new MediaStream();
    // Audio first, then video: a stable m-line order helps the relay and logs (the
    // relay calls the first video m-line the camera and any later one a screen).
    const tracks = [...stream.getAudioTracks(), ...stream.getVideoTracks()];
    for (const track of tracks) {
      const init = { direction: 'sendonly', streams: [stream] };
      if (track.kind === 'video') init.sendEncodings = [{ maxBitrate: 1_500_000 }];
      try {
        this.pubPc.addTransceiver(track, init);
      } catch {
        this.pubPc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      }
    }
    return this.pubPc;
  }

  /** Share a screen (a video track from getDisplayMedia) as a second video track. */
  startScreen(track) {
    const run = this.pubChain.catch(() => {}).then(() => {
      const pc = this._ensurePubPc();
      // Without a camera, an inactive video m-line keeps the camera's place, so that
      // the relay labels this one a screen.
      if (!pc.getTransceivers().some((t) => !t.stopped && t.receiver.track.kind === 'video')) {
        pc.addTransceiver('video', { direction: 'inactive' });
      }
      this.screenTx = pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])],
                                                 sendEncodings: [{ maxBitrate: 2_500_000 }] });
      return this._publish();
    });
    this.pubChain = run;
    return run;
  }

  stopScreen() {
    const run = this.pubChain.catch(() => {}).then(() => {
      if (!this.screenTx || !this.pubPc) { this.screenTx = null; return undefined; }
      try { this.screenTx.stop(); } catch { /* closed */ }
      this.screenTx = null;
      return this._publish();
    });
    this.pubChain = run;
    return run;
  }

  _dropPub() {
    const pc = this.pubPc;
    this.pubPc = null;
    this.screenTx = null;
    pc.onicecandidate = pc.onconnectionstatechange = null;
    try { pc.close(); } catch { /* ignore */ }
    this.localReady.pub = false;
    this.localQueue.pub = [];
    this.remoteQueue.pub = [];
    this.endSent.pub = false;
    clearTimeout(this.discTimers.pub);
    this._emit('pc-state', { pc: 'pub', state: 'new' });
  }

  /** Stop publishing: the publish connection closes and the relay drops its tracks. */
  unpublish() {
    const run = this.pubChain.catch(() => {}).then(async () => {
      if (!this.pubPc) return;
      this._dropPub();
      if (this.closed) return;
      try { await this.sig.request('unpublish', {}); } catch { /* disconnected: the relay drops it anyway */ }
    });
    this.pubChain = run;
    return run;
  }

  async _publish() {
    const pc = this._ensurePubPc();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (this.closed) return;
    const req = this.sig.request('publish', { sdp: pc.localDescription.sdp });
    this._markLocalReady('pub');
    let data;
    try {
      data = await req;
    } catch (err) {
      if (this.closed || err.code === 'disconnected') return;
      // Refused (not allowed now, say): a connection that never got an answer is dropped,
      // so that the next publish starts clean.
      if (!pc.remoteDescription && this.pubPc === pc) this._dropPub();
      this._emit('error', { code: err.code, reason: err.reason, during: 'publish' });
      throw err;
    }
    if (this.closed) return;
    if (!data || typeof data.sdp !== 'string') {
      const e = { code: 'bad_reply', reason: 'publish reply without sdp', during: 'publish' };
      this._emit('error', e);
      throw Object.assign(new Error(e.reason), e);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
    this._flushRemote('pub');
  }

  /** Handle a server event that concerns the peer connections. Returns true if consumed. */
  handleEvent(msg) {
    if (this.closed) return false;
    if (msg.type === 'offer') {
      this.offerQueue.push(msg);
      if (!this.offerBusy) this._processOffers();
      return true;
    }
    if (msg.type === 'candidate') {
      this._onRemoteCandidate(msg);
      return true;
    }
    if (msg.type === 'connection_state') {
      if (msg.state === 'failed' && (msg.pc === 'pub' || msg.pc === 'sub')) {
        this._emit('failed', { pc: msg.pc, why: 'relay reports failed' });
      }
      return true;
    }
    return false;
  }

  async _processOffers() {
    this.offerBusy = true;
    try {
      while (this.offerQueue.length && !this.closed) {
        const msg = this.offerQueue.shift();
        if (typeof msg.sdp !== 'string') continue;
        if (typeof msg.revision === 'number' && msg.revision <= this.lastRevision) continue;
        await this._answerOffer(msg);
      }
    } finally {
      this.offerBusy = false;
    }
  }

  async _answerOffer({ revision, sdp }) {
    const pc = this.subPc;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      this.lastRevision = typeof revision === 'number' ? revision : this.lastRevision;
      this.sections = new Map(parseSections(sdp).filter((s) => s.mid != null).map((s) => [s.mid, s]));
      this._flushRemote('sub');
      this._reconcile();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
    } catch (err) {
      if (this.closed) return;
      console.error('[session] cannot apply relay offer', err);
      if (pc.signalingState === 'have-remote-offer') {
        try { await pc.setLocalDescription({ type: 'rollback' }); } catch { /* ignore */ }
      }
      this._emit('error', { code: 'bad_offer', reason: err.message || String(err), during: 'offer' });
      return;
    }
    if (this.closed) return;
    const req = this.sig.request('answer', { revision, sdp: pc.localDescription.sdp });
    this._markLocalReady('sub');
    try {
      await req;
    } catch (err) {
      // wrong_state: the relay already moved on, a newer offer is on its way.
      if (this.closed || err.code === 'wrong_state' || err.code === 'disconnected') return;
      this._emit('error', { code: err.code, reason: err.reason, during: 'answer' });
    }
  }

  _onRemoteCandidate(msg) {
    const which = msg.pc === 'pub' ? 'pub' : msg.pc === 'sub' ? 'sub' : null;
    if (!which) return;
    const pc = which === 'pub' ? this.pubPc : this.subPc;
    if (!pc || !pc.remoteDescription) {
      this.remoteQueue[which].push(msg);
      return;
    }
    this._addRemote(pc, msg);
  }

  _flushRemote(which) {
    const pc = which === 'pub' ? this.pubPc : this.subPc;
    const queued = this.remoteQueue[which];
    this.remoteQueue[which] = [];
    for (const msg of queued) this._addRemote(pc, msg);
  }

  _addRemote(pc, msg) {
    const init = {
      candidate: msg.candidate || '',
      sdpMid: msg.sdpMid ?? null,
      sdpMLineIndex: msg.sdpMLineIndex ?? null,
    };
    if (init.sdpMid == null && init.sdpMLineIndex == null) init.sdpMLineIndex = 0;
    pc.addIceCandidate(init).catch((err) => {
      if (init.candidate) console.warn('[session] addIceCandidate failed', err, msg);
    });
  }

  _makePc(which) {
    const pc = new RTCPeerConnection(this.config);
    pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (c && c.candidate) {
        this._sendLocal(which, { candidate: c.candidate, sdpMid: c.sdpMid ?? this._firstMid(pc) });
      } else if (!this.endSent[which]) {
        this.endSent[which] = true;
        this._sendLocal(which, { candidate: '', sdpMid: (c && c.sdpMid) ?? this._firstMid(pc) });
      }
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'gathering') this.endSent[which] = false;
    };
    pc.onconnectionstatechange = () => this._onPcState(which, pc);
    return pc;
  }

  _firstMid(pc) {
    for (const tr of pc.getTransceivers()) if (tr.mid != null) return tr.mid;
    return '0';
  }

  _sendLocal(which, cand) {
    if (this.closed) return;
    if (!this.localReady[which]) { this.localQueue[which].push(cand); return; }
    this.sig.request('candidate', { pc: which, ...cand }).catch((err) => {
      if (err.code !== 'disconnected' && err.code !== 'timeout') {
        console.warn('[session] candidate rejected', err.code, err.reason);
      }
    });
  }

  _markLocalReady(which) {
    if (this.localReady[which]) return;
    this.localReady[which] = true;
    const queued = this.localQueue[which];
    this.localQueue[which] = [];
    for (const c of queued) this._sendLocal(which, c);
  }

  _onPcState(which, pc) {
    if (this.closed) return;
    const state = pc.connectionState;
    this._emit('pc-state', { pc: which, state });
    clearTimeout(this.discTimers[which]);
    if (state === 'failed') {
      this._emit('failed', { pc: which, why: 'ice failed' });
    } else if (state === 'disconnected') {
      this.discTimers[which] = setTimeout(() => {
        if (!this.closed && pc.connectionState === 'disconnected') {
          this._emit('failed', { pc: which, why: 'disconnected too long' });
        }
      }, DISCONNECTED_GRACE_MS);
    }
  }

  /** Rebuild participantId -> tracks from the current offer and transceivers. */
  _reconcile() {
    if (!this.subPc || this.closed) return;
    const map = new Map();
    for (const tr of this.subPc.getTransceivers()) {
      const mid = tr.mid;
      if (mid == null || tr.stopped) continue;
      const sec = this.sections.get(mid);
      if (sec && (sec.port === 0 || !LIVE_DIRECTIONS.has(sec.direction))) continue;
      const pid = (sec && sec.stream && sec.stream !== '-') ? sec.stream : this.streamByMid.get(mid);
      if (!pid) continue;
      const track = tr.receiver.track;
      if (!map.has(pid)) map.set(pid, []);
      map.get(pid).push({ track, kind: track.kind, mid, trackId: (sec && sec.trackId) || track.id });
    }
    this.remote = map;
    this._emit('remote', map);
  }

  /** mid -> participant id for the live receivers. */
  midMap() {
    const m = new Map();
    for (const [pid, list] of this.remote) for (const r of list) m.set(r.mid, pid);
    return m;
  }

  /**
   * Per remote participant: {videoFramesDecoded, audioPacketsReceived,
   * videoPacketsReceived, audioLevel} summed over its inbound-rtp streams.
   */
  async statsByParticipant(participantIds = []) {
    const out = {};
    for (const id of participantIds) out[id] = blankStats();
    if (!this.subPc || this.closed) return out;
    const byMid = this.midMap();
    const byTrack = new Map();
    for (const tr of this.subPc.getTransceivers()) {
      if (tr.mid != null && byMid.has(tr.mid)) byTrack.set(tr.receiver.track.id, byMid.get(tr.mid));
    }
    let report;
    try { report = await this.subPc.getStats(); } catch { return out; }
    for (const r of report.values()) {
      if (r.type !== 'inbound-rtp') continue;
      let pid = r.mid != null ? byMid.get(String(r.mid)) : undefined;
      if (!pid && r.trackIdentifier) pid = byTrack.get(r.trackIdentifier);
      if (!pid && r.trackId) {               // older Chromium: a separate "track" stats object
        const ts = report.get(r.trackId);
        if (ts && ts.trackIdentifier) pid = byTrack.get(ts.trackIdentifier);
      }
      if (!pid) continue;
      const s = out[pid] || (out[pid] = blankStats());
      const kind = r.kind || r.mediaType;
      if (kind === 'video') {
        s.videoPacketsReceived += r.packetsReceived || 0;
        s.videoFramesDecoded += r.framesDecoded || 0;
      } else if (kind === 'audio') {
        s.audioPacketsReceived += r.packetsReceived || 0;
        if (typeof r.audioLevel === 'number') s.audioLevel = Math.max(s.audioLevel, r.audioLevel);
      }
    }
    return out;
  }

  /**
   * Per received track id: {participantId, kind, framesDecoded, packetsReceived,
   * audioLevel, frameWidth, lastPacketAt} (a screen share is a track of its own).
   */
  async statsByTrack() {
    const out = {};
    if (!this.subPc || this.closed) return out;
    const byMid = new Map();
    for (const [pid, list] of this.remote) for (const r of list) byMid.set(r.mid, { pid, trackId: r.trackId, kind: r.kind });
    let report;
    try { report = await this.subPc.getStats(); } catch { return out; }
    for (const r of report.values()) {
      if (r.type !== 'inbound-rtp' || r.mid == null) continue;
      const m = byMid.get(String(r.mid));
      if (!m) continue;
      out[m.trackId] = {
        participantId: m.pid, kind: m.kind, framesDecoded: r.framesDecoded || 0,
        packetsReceived: r.packetsReceived || 0, audioLevel: r.audioLevel || 0,
        frameWidth: r.frameWidth || 0,
        // Wall-clock ms of the last packet (Chromium gives it since the epoch).
        lastPacketAt: typeof r.lastPacketReceivedTimestamp === 'number'
          ? (r.lastPacketReceivedTimestamp > 1e12 ? r.lastPacketReceivedTimestamp
            : performance.timeOrigin + r.lastPacketReceivedTimestamp) : null,
      };
    }
    return out;
  }

  /** What this browser sends: {audio: {packetsSent}, video: {packetsSent, framesEncoded}}. */
  async outboundStats() {
    const out = { audio: { packetsSent: 0 }, video: { packetsSent: 0, framesEncoded: 0 } };
    if (!this.pubPc) return out;
    let report;
    try { report = await this.pubPc.getStats(); } catch { return out; }
    for (const r of report.values()) {
      if (r.type !== 'outbound-rtp') continue;
      const k = r.kind === 'audio' ? 'audio' : 'video';
      out[k].packetsSent += r.packetsSent || 0;
      if (k === 'video') out.video.framesEncoded += r.framesEncoded || 0;
    }
    return out;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const k of Object.keys(this.discTimers)) clearTimeout(this.discTimers[k]);
    for (const pc of [this.pubPc, this.subPc]) {
      if (!pc) continue;
      pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
      try { pc.close(); } catch { /* ignore */ }
    }
    this.remote = new Map();
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

function blankStats() {
  return { videoFramesDecoded: 0, audioPacketsReceived: 0, videoPacketsReceived: 0, audioLevel: 0 };
}
