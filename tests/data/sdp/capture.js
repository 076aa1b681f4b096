#!/usr/bin/env node
'use strict';
// Captures real Chromium SDP for the relay's SDP unit tests (tests/unit/relay/).
//
// Run from anywhere after `npm ci` in tests/e2e (it uses the same launcher as the browser
// tests): `node tests/data/sdp/capture.js [OUT_DIR]`. It writes:
//   chromium_offer_av.sdp   publish offer: audio + video sendonly (fake camera/mic)
//   chromium_offer_av2.sdp  the same plus a second, screen-like video track
//   relay_offer_sub.sdp     a minimal relay-style subscribe offer we craft (sendonly
//                           audio+video, BUNDLE, rtcp-mux, fingerprint, ICE credentials)
//   chromium_answer_sub.sdp Chromium's answer to relay_offer_sub.sdp
// The offers are taken right after setLocalDescription, as the web client sends them
// (trickle ICE: no candidates inside). Files use CRLF line ends, as on the wire.
// webrtcbin_offer_av.sdp beside them is GStreamer 1.22 webrtcbin's publish offer
// (bundle-policy max-bundle: the audio m-line has port 0 + a=bundle-only), printed by
// `/usr/bin/python3 tests/interop/webrtcbin_client.py --selftest`.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { launchBrowser } = require('../../e2e/lib/browser.js');

const OUT = path.resolve(process.argv[2] || __dirname);

// A relay-style offer: what the server's subscribe connection sends. The fingerprint is
// syntactically valid but belongs to no certificate; Chromium only checks it at DTLS time.
const RELAY_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=msid-semantic: WMS *',
  'a=ice-options:trickle',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Rl4y',
  'a=ice-pwd:s3cr3tPasswordForTheRelay0',
  'a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendonly',
  'a=msid:p8d0e11aa ta1b2c',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=ssrc:1001 cname:p8d0e11aa',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Rl4y',
  'a=ice-pwd:s3cr3tPasswordForTheRelay0',
  'a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:1',
  'a=sendonly',
  'a=msid:p8d0e11aa tv1b2c',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 goog-remb',
  'a=ssrc:2001 cname:p8d0e11aa',
  '',
].join('\r\n');

async function main() {
  // getUserMedia needs a secure context: http://127.0.0.1 is one.
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>sdp capture</title><canvas id=c width=1280 height=720>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const b = await launchBrowser('sdp-capture');
  try {
    await b.page.goto(url);
    const sdp = await b.page.evaluate(async (relayOffer) => {
      const out = {};
      const cam = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      const pubOffer = async (extraTracks) => {
        const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
        for (const t of cam.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [cam] });
        for (const [t, s] of extraTracks) pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        const s = pc.localDescription.sdp;
        pc.close();
        return s;
      };
      out.av = await pubOffer([]);
      // The screen-like track: getDisplayMedia where headless allows it, else a canvas
      // capture marked as screen content ('detail'), in its own stream.
      let screen;
      let screenKind;
      try {
        screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        screenKind = 'getDisplayMedia';
      } catch (e) {
        const c = document.getElementById('c');
        const g = c.getContext('2d');
        let n = 0;
        setInterval(() => { g.fillStyle = `hsl(${(n++ * 7) % 360},50%,50%)`; g.fillRect(0, 0, 1280, 720); }, 100);
        screen = c.captureStream(5);
        screenKind = `canvas.captureStream (getDisplayMedia: ${e.name})`;
      }
      const st = screen.getVideoTracks()[0];
      st.contentHint = 'detail';
      out.av2 = await pubOffer([[st, screen]]);
      out.screenKind = screenKind;
      const sub = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
      await sub.setRemoteDescription({ type: 'offer', sdp: relayOffer });
      const answer = await sub.createAnswer();
      await sub.setLocalDescription(answer);
      out.answer = sub.localDescription.sdp;
      sub.close();
      out.ua = navigator.userAgent;
      return out;
    }, RELAY_OFFER);
    const write = (name, text) => {
      const crlf = text.replace(/\r?\n/g, '\r\n');
      fs.writeFileSync(path.join(OUT, name), crlf);
      console.log(`wrote ${path.join(OUT, name)} (${crlf.length} bytes)`);
    };
    write('chromium_offer_av.sdp', sdp.av);
    write('chromium_offer_av2.sdp', sdp.av2);
    write('relay_offer_sub.sdp', RELAY_OFFER);
    write('chromium_answer_sub.sdp', sdp.answer);
    console.log(`browser: ${sdp.ua}`);
    console.log(`screen-like track from: ${sdp.screenKind}`);
  } finally {
    await b.close();
    server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
