// Requests from the UI — moderator controls, the hand, consent, chat — with a
// confirmation for what cannot be undone (remove, ban, end the meeting), errors shown as
// toasts, and exports saved as files.

import { t } from './i18n.js';
import { toast } from './ui/notify.js';
import { ask } from './ui/dialog.js';

export function createRequests(app) {
  const CONFIRM = {
    remove: (f) => (f.ban ? 'mod.ban' : 'mod.remove'),
    end: () => 'mod.end',
  };

  /** A request from the UI (moderator controls, hand, consent…), with confirmation for
   *  what cannot be undone and the error shown. Resolves with the reply's data. */
  async function action(type, fields = {}, { confirm = true } = {}) {
    if (!app.sig || !app.sig.connected) return null;
    if (confirm && CONFIRM[type]) {
      const rec = fields.participant_id && app.participants.get(fields.participant_id);
      const name = rec ? rec.name : '';
      const base = type === 'end' ? 'mod.end' : fields.ban ? 'mod.ban' : 'mod.remove';
      const titleKey = { 'mod.end': 'mod.endTitle', 'mod.ban': 'mod.banTitle', 'mod.remove': 'mod.removeTitle' }[base];
      const textKey = { 'mod.end': 'mod.endText', 'mod.ban': 'mod.banText', 'mod.remove': 'mod.removeText' }[base];
      const ok = await ask({ title: t(titleKey, { name }), text: t(textKey), ok: t(base), danger: true });
      if (!ok) return null;
    }
    try {
      const data = await app.sig.request(type, fields);
      if (type === 'export' && data && typeof data.content === 'string') download(data);
      if (type === 'consent_request') toast(t('mod.consentAsked'), { kind: 'success', timeout: 4000 });
      return data;
    } catch (err) {
      if (err.code !== 'disconnected') {
        toast(err.code === 'rate_limited' ? t('err.rate_limited') : t('err.generic', { reason: err.reason || err.code }), { kind: 'error' });
      }
      throw err;
    }
  }

  function download({ filename, content_type: type, content }) {
    const url = URL.createObjectURL(new Blob([content], { type: type || 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = filename || 'export.txt';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast(t('room.exported', { filename: a.download }), { kind: 'success', timeout: 4000 });
  }

  function toggleHand() {
    const raised = !app.self.hand;
    action('hand', { raised }).then(() => {
      if (raised) toast(t('room.handRaisedToast'), { kind: 'info', timeout: 4000 });
    }).catch(() => {});
  }

  return { action, toggleHand };
}
