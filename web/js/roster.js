// The register of the other participants: one record per remote participant in
// app.participants, mirrored into the room view (tiles, stage, the people panel reads the
// same map). Records are normalised from what the server sends (docs/protocol.md), so the
// rest of the client never sees a missing field.

import { has } from './roles.js';

function normalize(p) {
  return {
    id: p.id,
    name: typeof p.name === 'string' ? p.name : p.id,
    role: p.role || 'participant',
    perms: Array.isArray(p.perms) ? p.perms : [],
    audio: p.audio !== false,
    video: p.video !== false,
    tracks: Array.isArray(p.tracks) ? p.tracks.slice() : [],
    hand: !!p.hand,
    hand_seq: p.hand_seq || 0,
    floor: !!p.floor,
    on_stage: !!p.on_stage,
    muted: p.muted || {},
    consent: p.consent === undefined ? null : p.consent,
  };
}

function onStage(rec) { return rec.tracks.length > 0 || has(rec, 'publish') || rec.floor; }

// view() returns the current RoomView (made when the room page is built).
export function createRoster(app, view) {
  /** The tile id of a participant: 'local' for oneself. */
  function tileId(pid) {
    if (!pid) return null;
    return pid === app.participantId ? 'local' : pid;
  }

  function renderRemote() {
    if (!app.session) return;
    const labelOf = (pid, trackId) => {
      const rec = app.participants.get(pid);
      const tr = rec && rec.tracks.find((x) => x.id === trackId);
      return tr ? tr.label : null;
    };
    view().setRemoteTracks(app.session.remote, labelOf);
  }

  function add(p) {
    if (!p || typeof p.id !== 'string' || p.id === app.participantId) return;
    const rec = normalize(p);
    app.participants.set(p.id, rec);
    view().upsertParticipant({ ...rec, onStage: onStage(rec) });
    renderRemote();
  }

  /** fields: a whole participant (has an id) or some of its fields. */
  function update(id, fields) {
    const rec = app.participants.get(id);
    if (!rec) return;
    Object.assign(rec, fields.id ? normalize(fields) : fields);
    view().upsertParticipant({ ...rec, onStage: onStage(rec) });
  }

  /** Returns the record that was removed, if any. */
  function remove(id) {
    const rec = app.participants.get(id);
    app.participants.delete(id);
    view().removeParticipant(id);
    return rec;
  }

  function addTrack(pid, track) {
    const rec = app.participants.get(pid);
    if (rec && track && !rec.tracks.some((x) => x.id === track.id)) rec.tracks.push(track);
    if (rec) update(rec.id, {});
    renderRemote();
  }

  function removeTrack(pid, trackId) {
    const rec = app.participants.get(pid);
    if (rec) rec.tracks = rec.tracks.filter((x) => x.id !== trackId);
    if (rec) update(rec.id, {});
    renderRemote();
  }

  return { tileId, renderRemote, add, update, remove, addTrack, removeTrack };
}
