// Interface strings. Russian is the default, English the second language.
// The choice is remembered in localStorage ("tb.lang"); `?lang=en` overrides it once.

const STRINGS = {
  ru: {
    'app.title': 'Телемост',
    'app.tagline': 'Видеосвязь без установки программ',
    'lang.switch': 'English',
    'lang.short': 'EN',
    'lang.switchLabel': 'Switch the interface to English',

    'join.heading': 'Подключение к встрече',
    'join.headingRoom': 'Встреча «{room}»',
    'join.room': 'Название комнаты',
    'join.roomHint': 'Латинские буквы, цифры, «-» и «_», до 64 символов. Обычно оно уже есть в ссылке-приглашении.',
    'join.name': 'Ваше имя',
    'join.nameHint': 'Так вас увидят другие участники.',
    'join.namePlaceholder': 'Например, Анна Петрова',
    'join.button': 'Присоединиться',
    'join.joining': 'Подключение…',
    'join.camera': 'Камера',
    'join.microphone': 'Микрофон',
    'join.devices': 'Устройства',
    'join.noDevice': 'Нет устройства',
    'join.previewOff': 'Камера выключена',
    'join.previewLoading': 'Включаем камеру…',
    'join.previewNone': 'Камера недоступна',
    'join.micLevel': 'Уровень звука микрофона',
    'join.checkMic': 'Скажите что-нибудь — полоска должна двигаться.',
    'join.retryMedia': 'Попробовать снова',

    'err.roomRequired': 'Введите название комнаты.',
    'err.roomInvalid': 'Название комнаты может содержать только латинские буквы, цифры, «-» и «_» (до 64 символов).',
    'err.nameRequired': 'Введите ваше имя.',
    'err.nameInvalid': 'Имя слишком длинное или содержит недопустимые символы.',
    'err.unreachable': 'Не удаётся связаться с сервером. Проверьте подключение к сети и попробуйте ещё раз.',
    'err.joinFailed': 'Не удалось подключиться: {reason}',
    'err.room_full': 'В комнате нет свободных мест. Обратитесь к организатору.',
    'err.forbidden': 'Подключение к этой комнате запрещено.',
    'err.generic': 'Ошибка сервера: {reason}',
    'err.mediaDenied': 'Доступ к камере и микрофону запрещён. Вы можете войти без них и только смотреть и слушать. Чтобы разрешить доступ, нажмите на значок замка в адресной строке.',
    'err.cameraDenied': 'Доступ к камере запрещён — вы войдёте только со звуком.',
    'err.micDenied': 'Доступ к микрофону запрещён — другие участники вас не услышат.',
    'err.noDevices': 'Камера и микрофон не найдены. Вы можете войти, чтобы смотреть и слушать.',
    'err.noCamera': 'Камера не найдена — вы войдёте только со звуком.',
    'err.noMic': 'Микрофон не найден — другие участники вас не услышат.',
    'err.deviceBusy': 'Камера или микрофон заняты другой программой. Закройте её и нажмите «Попробовать снова».',
    'err.insecure': 'Браузер разрешает камеру и микрофон только для защищённых адресов (https://). Вы можете войти, чтобы смотреть и слушать.',
    'err.noWebrtc': 'Этот браузер не поддерживает видеосвязь. Используйте свежую версию Chrome, Firefox, Edge, Яндекс Браузера или Safari.',
    'err.media': 'Не удалось передать ваше видео и звук: {reason}',
    'err.connectionFailed': 'Видеосоединение прервалось. Переподключаемся…',

    'room.participants': '{count, plural}',
    'room.you': 'Вы',
    'room.youSuffix': '{name} (вы)',
    'room.alone': 'Пока в комнате только вы',
    'room.aloneHint': 'Отправьте ссылку-приглашение другим участникам.',
    'room.mic': 'Микрофон',
    'room.micOn': 'Выключить микрофон',
    'room.micOff': 'Включить микрофон',
    'room.camOn': 'Выключить камеру',
    'room.camOff': 'Включить камеру',
    'room.camera': 'Камера',
    'room.noMicDevice': 'Микрофон недоступен',
    'room.noCamDevice': 'Камера недоступна',
    'room.invite': 'Пригласить',
    'room.inviteLabel': 'Скопировать ссылку-приглашение',
    'room.inviteCopied': 'Ссылка скопирована: {link}',
    'room.inviteManual': 'Скопируйте ссылку: {link}',
    'room.leave': 'Выйти',
    'room.leaveLabel': 'Покинуть встречу',
    'room.mutedMic': 'микрофон выключен',
    'room.mutedCam': 'камера выключена',
    'room.reconnecting': 'Связь потеряна. Переподключаемся…',
    'room.reconnected': 'Связь восстановлена.',
    'room.joinedToast': 'Вы вошли во встречу «{room}».',
    'room.someoneJoined': '{name} присоединяется к встрече',
    'room.someoneLeft': '{name} покидает встречу',
    'room.enableSound': 'Включить звук',
    'room.soundBlocked': 'Браузер заблокировал звук. Нажмите, чтобы слышать участников.',
    'room.receiveOnly': 'Вы участвуете без камеры и микрофона.',
    'room.grid': 'Участники встречи',
    'room.toolbar': 'Управление',
    'room.status.connecting': 'Соединение…',
    'room.status.connected': 'Соединение установлено',
    'room.status.poor': 'Соединение нестабильно',

    'left.heading': 'Вы покинули встречу',
    'left.rejoin': 'Вернуться во встречу',
    'left.home': 'На главную',

    'toast.close': 'Закрыть',
  },
  en: {
    'app.title': 'Telebridge',
    'app.tagline': 'Video meetings, no installation needed',
    'lang.switch': 'Русский',
    'lang.short': 'RU',
    'lang.switchLabel': 'Переключить интерфейс на русский язык',

    'join.heading': 'Join a meeting',
    'join.headingRoom': 'Meeting “{room}”',
    'join.room': 'Room name',
    'join.roomHint': 'Latin letters, digits, “-” and “_”, up to 64 characters. It is usually already in the invitation link.',
    'join.name': 'Your name',
    'join.nameHint': 'This is how other participants will see you.',
    'join.namePlaceholder': 'For example, Anna Petrova',
    'join.button': 'Join now',
    'join.joining': 'Connecting…',
    'join.camera': 'Camera',
    'join.microphone': 'Microphone',
    'join.devices': 'Devices',
    'join.noDevice': 'No device',
    'join.previewOff': 'Camera is off',
    'join.previewLoading': 'Starting camera…',
    'join.previewNone': 'Camera unavailable',
    'join.micLevel': 'Microphone level',
    'join.checkMic': 'Say something — the bar should move.',
    'join.retryMedia': 'Try again',

    'err.roomRequired': 'Enter the room name.',
    'err.roomInvalid': 'The room name may contain only Latin letters, digits, “-” and “_” (up to 64 characters).',
    'err.nameRequired': 'Enter your name.',
    'err.nameInvalid': 'The name is too long or contains characters that are not allowed.',
    'err.unreachable': 'Cannot reach the server. Check your network connection and try again.',
    'err.joinFailed': 'Could not join: {reason}',
    'err.room_full': 'The room is full. Please contact the organiser.',
    'err.forbidden': 'You are not allowed to join this room.',
    'err.generic': 'Server error: {reason}',
    'err.mediaDenied': 'Access to the camera and microphone was denied. You can still join to watch and listen. To allow access, click the lock icon in the address bar.',
    'err.cameraDenied': 'Access to the camera was denied — you will join with audio only.',
    'err.micDenied': 'Access to the microphone was denied — others will not hear you.',
    'err.noDevices': 'No camera or microphone found. You can still join to watch and listen.',
    'err.noCamera': 'No camera found — you will join with audio only.',
    'err.noMic': 'No microphone found — others will not hear you.',
    'err.deviceBusy': 'The camera or microphone is in use by another program. Close it and press “Try again”.',
    'err.insecure': 'The browser allows the camera and microphone only on secure (https://) addresses. You can still join to watch and listen.',
    'err.noWebrtc': 'This browser does not support video calls. Please use a recent Chrome, Firefox, Edge, Yandex Browser or Safari.',
    'err.media': 'Could not send your video and audio: {reason}',
    'err.connectionFailed': 'The media connection was interrupted. Reconnecting…',

    'room.participants': '{count, plural}',
    'room.you': 'You',
    'room.youSuffix': '{name} (you)',
    'room.alone': 'You are the only one here',
    'room.aloneHint': 'Send the invitation link to the other participants.',
    'room.mic': 'Microphone',
    'room.micOn': 'Turn off microphone',
    'room.micOff': 'Turn on microphone',
    'room.camOn': 'Turn off camera',
    'room.camOff': 'Turn on camera',
    'room.camera': 'Camera',
    'room.noMicDevice': 'Microphone unavailable',
    'room.noCamDevice': 'Camera unavailable',
    'room.invite': 'Invite',
    'room.inviteLabel': 'Copy the invitation link',
    'room.inviteCopied': 'Link copied: {link}',
    'room.inviteManual': 'Copy this link: {link}',
    'room.leave': 'Leave',
    'room.leaveLabel': 'Leave the meeting',
    'room.mutedMic': 'microphone off',
    'room.mutedCam': 'camera off',
    'room.reconnecting': 'Connection lost. Reconnecting…',
    'room.reconnected': 'Connection restored.',
    'room.joinedToast': 'You joined the meeting “{room}”.',
    'room.someoneJoined': '{name} joined',
    'room.someoneLeft': '{name} left',
    'room.enableSound': 'Turn on sound',
    'room.soundBlocked': 'The browser blocked sound. Click to hear the participants.',
    'room.receiveOnly': 'You are taking part without a camera or microphone.',
    'room.grid': 'Meeting participants',
    'room.toolbar': 'Controls',
    'room.status.connecting': 'Connecting…',
    'room.status.connected': 'Connected',
    'room.status.poor': 'Unstable connection',

    'left.heading': 'You left the meeting',
    'left.rejoin': 'Rejoin',
    'left.home': 'Return to home screen',

    'toast.close': 'Close',
  },
};

const PLURALS = {
  ru: { one: '{n} участник', few: '{n} участника', many: '{n} участников', other: '{n} участника' },
  en: { one: '{n} participant', other: '{n} participants' },
};

const STORAGE_KEY = 'tb.lang';
const listeners = new Set();
let lang = 'ru';

function storedLang() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}

export function initLang() {
  const param = new URLSearchParams(location.search).get('lang');
  const chosen = param || storedLang();
  lang = chosen === 'en' ? 'en' : 'ru';
  applyDocument();
  return lang;
}

export function getLang() { return lang; }

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'ru';
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* private mode */ }
  applyDocument();
  for (const fn of listeners) fn(lang);
}

export function toggleLang() { setLang(lang === 'ru' ? 'en' : 'ru'); }

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function plural(n) {
  const rules = new Intl.PluralRules(lang);
  const forms = PLURALS[lang];
  const form = forms[rules.select(n)] || forms.other;
  return form.replace('{n}', String(n));
}

/** Translate `key`, substituting {name} placeholders from `params`. */
export function t(key, params = {}) {
  let s = STRINGS[lang][key] ?? STRINGS.ru[key] ?? key;
  if (s.includes('{count, plural}')) s = s.replace('{count, plural}', plural(params.count ?? 0));
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** Re-apply static strings: data-i18n (text), data-i18n-label (aria-label),
 *  data-i18n-title (title), data-i18n-placeholder (placeholder). */
export function translateDom(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

function applyDocument() {
  document.documentElement.lang = lang;
  document.title = t('app.title');
  translateDom();
}
