// Local camera/microphone: acquisition with fallbacks, error classification,
// device lists and a microphone level meter.

const VIDEO_CONSTRAINTS = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

/** Map a getUserMedia error to one of: denied | absent | busy | insecure | other. */
export function classifyMediaError(err) {
  if (!err) return null;
  switch (err.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return 'absent';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    case 'InsecureContext':
      return 'insecure';
    default:
      return 'other';
  }
}

function insecureError() {
  const e = new Error('mediaDevices unavailable (insecure context?)');
  e.name = 'InsecureContext';
  return e;
}

async function gum(constraints) {
  return navigator.mediaDevices.getUserMedia(constraints);
}

/**
 * Get whatever is available. Returns {stream, audioError, videoError} where the
 * errors are classified strings (or null) and `stream` may have 0, 1 or 2 tracks.
 */
export async function acquireMedia({ audioDeviceId, videoDeviceId, wantAudio = true, wantVideo = true } = {}) {
  const result = { stream: new MediaStream(), audioError: null, videoError: null };
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const kind = classifyMediaError(insecureError());
    if (wantAudio) result.audioError = kind;
    if (wantVideo) result.videoError = kind;
    return result;
  }
  const audio = wantAudio ? (audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true) : false;
  const video = wantVideo
    ? { ...VIDEO_CONSTRAINTS, ...(videoDeviceId ? { deviceId: { exact: videoDeviceId } } : {}) }
    : false;
  if (!audio && !video) return result;

  // One prompt for both when possible.
  if (audio && video) {
    try {
      const s = await gum({ audio, video });
      return { stream: s, audioError: null, videoError: null };
    } catch (err) {
      console.warn('[media] audio+video failed', err.name, err.message);
    }
  }
  // Fall back to each separately, so a missing camera still lets the microphone work.
  if (audio) {
    try {
      const s = await gum({ audio });
      for (const t of s.getTracks()) result.stream.addTrack(t);
    } catch (err) {
      result.audioError = classifyMediaError(err);
    }
  }
  if (video) {
    try {
      const s = await gum({ video });
      for (const t of s.getTracks()) result.stream.addTrack(t);
    } catch (err) {
      // An unavailable exact device: retry with any camera.
      if (videoDeviceId && classifyMediaError(err) === 'absent') {
        try {
          const s = await gum({ video: VIDEO_CONSTRAINTS });
          for (const t of s.getTracks()) result.stream.addTrack(t);
        } catch (err2) {
          result.videoError = classifyMediaError(err2);
        }
      } else {
        result.videoError = classifyMediaError(err);
      }
    }
  }
  return result;
}

export function stopStream(stream) {
  if (!stream) return;
  for (const t of stream.getTracks()) t.stop();
}

/** {audio: MediaDeviceInfo[], video: MediaDeviceInfo[]} (labels only after permission). */
export async function listDevices() {
  const out = { audio: [], video: [] };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return out;
  try {
    for (const d of await navigator.mediaDevices.enumerateDevices()) {
      if (!d.deviceId) continue;
      if (d.kind === 'audioinput') out.audio.push(d);
      else if (d.kind === 'videoinput') out.video.push(d);
    }
  } catch { /* ignore */ }
  return out;
}

/**
 * Microphone level meter. Calls onLevel(0..1) about 20 times per second.
 * Returns a stop() function.
 */
export function startLevelMeter(track, onLevel) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx || !track) return () => {};
  let ctx;
  try { ctx = new Ctx(); } catch { return () => {}; }
  const src = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let smooth = 0;
  const timer = setInterval(() => {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
    const rms = Math.sqrt(sum / buf.length);
    const level = track.enabled ? Math.min(1, rms * 4) : 0;
    smooth = Math.max(level, smooth * 0.8);
    onLevel(smooth);
  }, 50);
  return () => {
    clearInterval(timer);
    try { src.disconnect(); } catch { /* ignore */ }
    ctx.close().catch(() => {});
  };
}
