// Join tokens in the browser. A join link carries its token in the URL fragment
// (`/?room=R#token=…`, never sent to a server or in a Referer); `?token=` works too.
// The token is kept in sessionStorage per room, so a reload of the page keeps working,
// and removed from the address bar, so it is not copied along with an invitation link.
//
// The client reads the token's claims only to show them (name, role) before joining:
// the server verifies the signature and decides.

const KEY = (room) => `tb.token.${room}`;

/** The claims of a JWT, unverified; null when it does not parse. */
export function decodeClaims(token) {
  try {
    const part = String(token).split('.')[1];
    if (!part) return null;
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * The token for this page: from the fragment or the query (then stored and removed
 * from the address bar), else the one stored for `room`. Returns {token, claims, room}
 * where room is the token's room when the link named none.
 */
export function takeToken(params) {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  let token = hash.get('token') || params.get('token') || null;
  let claims = token ? decodeClaims(token) : null;
  const room = params.get('room') || (claims && typeof claims.room === 'string' ? claims.room : '');
  if (token) {
    try { if (room) sessionStorage.setItem(KEY(room), token); } catch { /* private mode */ }
    const clean = new URLSearchParams(params);
    clean.delete('token');
    if (room) clean.set('room', room);
    history.replaceState(null, '', `${location.pathname}?${clean.toString()}`);
  } else if (room) {
    try { token = sessionStorage.getItem(KEY(room)); } catch { token = null; }
    claims = token ? decodeClaims(token) : null;
  }
  return { token, claims, room };
}

/** Forget the stored token of `room` (it was refused). */
export function forgetToken(room) {
  try { sessionStorage.removeItem(KEY(room)); } catch { /* ignore */ }
}
