'use strict';
// Join tokens (HS256 JWTs) for the browser tests, made here with Node's crypto,
// independently of the server's code, with the key test daemons run with.
const crypto = require('node:crypto');
const { TEST_SECRET } = require('./daemon.js');

const b64url = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

// mint(room, role, {name, identity, ttl, perms, secret})
function mint(room, role, { name, identity, ttl = 3600, perms, secret = TEST_SECRET } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'telebridge', sub: identity || `id-${crypto.randomBytes(4).toString('hex')}`,
    room, role, iat: now, exp: now + ttl,
  };
  if (name) claims.name = name;
  if (perms) claims.perms = perms;
  const signing = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  const sig = crypto.createHmac('sha256', secret).update(signing).digest('base64url');
  return `${signing}.${sig}`;
}

module.exports = { mint };
