// Interface strings of recording: the indicator and control in the room, the staff page
// /studio and the public archive /archive. Russian first, English second, as i18n.js.

import { addStrings } from './i18n.js';

addStrings({
  ru: {
    'rec.badge': 'Идёт запись',
    'rec.badgeStarting': 'Запись начинается…',
    'rec.start': 'Начать запись',
    'rec.stop': 'Остановить запись',
    'rec.caption': 'Запись',
    'rec.captionOn': 'Стоп',
    'rec.startedBy': '{name} начал(а) запись встречи. Все участники видят значок «Идёт запись».',
    'rec.started': 'Встреча записывается.',
    'rec.stopped': 'Запись остановлена.',
    'rec.stoppedBy': 'Запись остановлена: {reason}',
    'rec.reason.disk_full': 'на сервере закончилось место на диске',
    'rec.reason.write_error': 'ошибка записи на сервере',
    'rec.reason.recorder_failed': 'сбой программы записи',
    'rec.reason.consent': 'не все участники согласились на запись',
    'rec.reason.daemon_gone': 'сервер перезапускается',
    'rec.inProgress': 'Встреча записывается с {time}',
    'rec.failed': 'Не удалось начать запись: {reason}',

    'studio.title': 'Студия',
    'studio.heading': 'Записи встреч',
    'studio.hint': 'Выберите запись, чтобы посмотреть её, дать ей название и описание и опубликовать в архиве.',
    'studio.empty': 'Записей пока нет. Запись начинается кнопкой «Запись» во время встречи.',
    'studio.participants': '{count, plural}',
    'studio.state.recording': 'Идёт запись',
    'studio.state.stopped': 'Записана',
    'studio.state.interrupted': 'Прервана',
    'studio.state.failed': 'Ошибка',
    'studio.published': 'Опубликована',
    'studio.composing': 'Видео готовится: {percent}%',
    'studio.composeQueued': 'Видео ждёт очереди на сборку',
    'studio.composeFailed': 'Видео собрать не удалось: {error}',
    'studio.noVideo': 'Видео ещё не собрано.',
    'studio.untitled': 'Встреча в комнате «{room}»',
    'studio.titleLabel': 'Название',
    'studio.titlePlaceholder': 'Например: Публичные слушания о бюджете района',
    'studio.descLabel': 'Описание',
    'studio.descPlaceholder': 'О чём была встреча, кто выступал',
    'studio.save': 'Сохранить',
    'studio.saved': 'Название и описание сохранены.',
    'studio.publish': 'Опубликовать в архиве',
    'studio.unpublish': 'Снять с публикации',
    'studio.publishedToast': 'Запись опубликована в архиве.',
    'studio.unpublishedToast': 'Запись снята с публикации.',
    'studio.recompose': 'Собрать видео заново',
    'studio.composeQueuedToast': 'Сборка видео поставлена в очередь.',
    'studio.download': 'Скачать MP4',
    'studio.delete': 'Удалить',
    'studio.deleteConfirm': 'Удалить запись безвозвратно? Файлы дорожек и видео будут стёрты.',
    'studio.deleted': 'Запись удалена.',
    'studio.tracks': 'Дорожки',
    'studio.track.audio': 'звук',
    'studio.track.video': 'видео',
    'studio.track.screen': 'экран',
    'studio.track.file': 'файл',
    'studio.interruptions': 'Запись прерывалась ({count}); записанное сохранено.',
    'studio.openArchive': 'Открыть архив',
    'studio.error': 'Ошибка: {reason}',
    'studio.forbidden': 'Студия доступна только с этого компьютера или по паролю.',
    'studio.loadFailed': 'Не удалось загрузить список записей.',

    'archive.title': 'Архив',
    'archive.heading': 'Архив записей',
    'archive.hint': 'Записи мероприятий партнёрства: круглые столы, публичные слушания, телемосты.',
    'archive.empty': 'Опубликованных записей пока нет.',
    'archive.download': 'Скачать',
    'archive.duration': 'Длительность {time}',
    'archive.play': 'Смотреть',
    'archive.size': '{size} МБ',
  },
  en: {
    'rec.badge': 'Recording',
    'rec.badgeStarting': 'Recording starts…',
    'rec.start': 'Start recording',
    'rec.stop': 'Stop recording',
    'rec.caption': 'Record',
    'rec.captionOn': 'Stop',
    'rec.startedBy': '{name} started recording the meeting. Everyone sees the “Recording” badge.',
    'rec.started': 'The meeting is being recorded.',
    'rec.stopped': 'Recording stopped.',
    'rec.stoppedBy': 'Recording stopped: {reason}',
    'rec.reason.disk_full': 'the server ran out of disk space',
    'rec.reason.write_error': 'a write error on the server',
    'rec.reason.recorder_failed': 'the recorder failed',
    'rec.reason.consent': 'not everyone agreed to be recorded',
    'rec.reason.daemon_gone': 'the server is restarting',
    'rec.inProgress': 'Recording since {time}',
    'rec.failed': 'Recording could not start: {reason}',

    'studio.title': 'Studio',
    'studio.heading': 'Recorded meetings',
    'studio.hint': 'Choose a recording to watch it, give it a title and description, and publish it in the archive.',
    'studio.empty': 'No recordings yet. Start one with the “Record” button during a meeting.',
    'studio.participants': '{count, plural}',
    'studio.state.recording': 'Recording',
    'studio.state.stopped': 'Recorded',
    'studio.state.interrupted': 'Interrupted',
    'studio.state.failed': 'Failed',
    'studio.published': 'Published',
    'studio.composing': 'Making the video: {percent}%',
    'studio.composeQueued': 'The video waits its turn',
    'studio.composeFailed': 'The video could not be made: {error}',
    'studio.noVideo': 'The video is not made yet.',
    'studio.untitled': 'Meeting in room “{room}”',
    'studio.titleLabel': 'Title',
    'studio.titlePlaceholder': 'E.g. Public hearing on the district budget',
    'studio.descLabel': 'Description',
    'studio.descPlaceholder': 'What the meeting was about, who spoke',
    'studio.save': 'Save',
    'studio.saved': 'Title and description saved.',
    'studio.publish': 'Publish in the archive',
    'studio.unpublish': 'Unpublish',
    'studio.publishedToast': 'The recording is published in the archive.',
    'studio.unpublishedToast': 'The recording is no longer published.',
    'studio.recompose': 'Make the video again',
    'studio.composeQueuedToast': 'The video is queued to be made.',
    'studio.download': 'Download MP4',
    'studio.delete': 'Delete',
    'studio.deleteConfirm': 'Delete this recording for good? Its track files and video will be erased.',
    'studio.deleted': 'Recording deleted.',
    'studio.tracks': 'Tracks',
    'studio.track.audio': 'audio',
    'studio.track.video': 'video',
    'studio.track.screen': 'screen',
    'studio.track.file': 'file',
    'studio.interruptions': 'The recording was interrupted ({count}); what was recorded is kept.',
    'studio.openArchive': 'Open the archive',
    'studio.error': 'Error: {reason}',
    'studio.forbidden': 'The studio opens only on this computer or with its password.',
    'studio.loadFailed': 'Could not load the recordings.',

    'archive.title': 'Archive',
    'archive.heading': 'Recordings archive',
    'archive.hint': 'Recordings of the partnership’s events: round tables, public hearings, telebridges.',
    'archive.empty': 'Nothing has been published yet.',
    'archive.download': 'Download',
    'archive.duration': 'Duration {time}',
    'archive.play': 'Watch',
    'archive.size': '{size} MB',
  },
});

/** "1:02:03" or "2:03". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A date and time in the interface language, from microseconds since the epoch. */
export function formatDate(us, lang) {
  if (!us) return '';
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'ru-RU', {
    day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(new Date(us / 1000));
}

/** The record mark (a filled circle), as inline SVG. */
export const REC_ICON = '<svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="7" fill="currentColor"/></svg>';
export const STOP_ICON = '<svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor"/></svg>';
export const DOWNLOAD_ICON = '<svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M19 9h-4V3H9v6H5l7 7 7-7zM5 18v2h14v-2H5z"/></svg>';
