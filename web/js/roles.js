// Roles and permissions as the server sends them (docs/protocol.md, "Roles"). The server
// enforces them; the client only shows what each person may do.

export const ROLES = ['moderator', 'speaker', 'participant', 'viewer', 'site'];

/** Default permissions of a role, for showing a token's role before joining. */
const DEFAULT_PERMS = {
  moderator: ['publish', 'screen', 'chat', 'moderate', 'record'],
  speaker: ['publish', 'screen', 'chat', 'hand'],
  participant: ['chat', 'hand'],
  viewer: ['chat', 'hand'],
  site: ['publish', 'screen'],
};

export function defaultPerms(role) { return new Set(DEFAULT_PERMS[role] || DEFAULT_PERMS.participant); }

export function has(p, perm) {
  if (!p || !p.perms) return false;
  return p.perms instanceof Set ? p.perms.has(perm) : p.perms.includes(perm);
}

/** May this participant (or self) publish microphone and camera now? */
export function mayPublish(p) { return has(p, 'publish') || !!(p && p.floor); }

export function isModerator(p) { return has(p, 'moderate'); }

/** Order for the participant list: moderators, speakers and halls, then hands, then the rest. */
export function listRank(p) {
  if (p.role === 'moderator') return 0;
  if (p.floor) return 1;
  if (p.role === 'speaker' || p.role === 'site') return 2;
  if (p.hand) return 3;
  if (p.role === 'participant') return 4;
  return 5;
}
