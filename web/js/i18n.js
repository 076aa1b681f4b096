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
    'room.severalJoined': 'К встрече присоединяются: {names}',
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

    'room.screenOf': 'Экран: {name}',
    'room.mutedByModerator': 'микрофон выключен модератором',
    'room.hand': 'Рука',
    'room.raiseHand': 'Поднять руку',
    'room.lowerHand': 'Опустить руку',
    'room.handRaisedToast': 'Вы подняли руку. Модератор видит вас в очереди.',
    'room.screen': 'Экран',
    'room.shareScreen': 'Показать свой экран',
    'room.stopScreen': 'Остановить показ экрана',
    'room.screenFailed': 'Не удалось показать экран: {reason}',
    'room.people': 'Участники',
    'room.peopleLabel': 'Список участников',
    'room.chat': 'Чат',
    'room.chatLabel': 'Чат встречи',
    'room.layout': 'Вид',
    'room.layoutGrid': 'Показать всех одинаково',
    'room.layoutSpeaker': 'Показать выступающего крупно',
    'room.viewerNote': 'Вы зритель: смотрите и слушаете. Чтобы выступить, поднимите руку.',
    'room.participantNote': 'Чтобы выступить, поднимите руку — модератор предоставит слово.',
    'room.micByModerator': 'Модератор выключил ваш микрофон.',
    'room.camByModerator': 'Модератор выключил вашу камеру.',
    'room.micBlocked': 'Микрофон выключен модератором. Поднимите руку, чтобы попросить слово.',
    'room.unmuteRequest': '{name} просит вас включить микрофон.',
    'room.unmuteRequestCam': '{name} просит вас включить камеру.',
    'room.turnOnMic': 'Включить микрофон',
    'room.turnOnCam': 'Включить камеру',
    'room.needFloor': 'Микрофон и камера доступны, когда модератор даёт вам слово.',
    'room.stageOn': 'Вас пригласили на сцену: вас видят и слышат все.',
    'room.stageOff': 'Вы снова в зале.',
    'room.exported': 'Файл «{filename}» сохранён.',
    'room.speakerNow': 'Говорит: {name}',
    'room.closePanel': 'Закрыть панель',

    'floor.has': 'выступает',
    'floor.yours': 'Вам предоставлено слово',
    'floor.someone': 'Слово: {name}',
    'floor.noLimit': 'без ограничения',
    'floor.give': 'Дать слово на {seconds} с',
    'floor.take': 'Забрать слово',
    'floor.givenToast': 'Вам предоставлено слово. Вас слышат все участники.',
    'floor.endedToast': 'Время выступления закончилось.',

    'people.title': 'Участники',
    'people.handRaised': 'поднята рука',
    'people.hands': 'Поднятые руки ({count})',
    'people.everyone': 'Все участники ({count})',
    'people.lowerHand': 'Опустить руку',
    'people.onStage': 'на сцене',

    'role.moderator': 'Модератор',
    'role.speaker': 'Докладчик',
    'role.participant': 'Участник',
    'role.viewer': 'Зритель',
    'role.site': 'Зал',

    'kind.consultation': 'Консультация',
    'kind.roundtable': 'Круглый стол',
    'kind.hearing': 'Публичные слушания',
    'kind.telebridge': 'Телемост',
    'kind.conference': 'Конференция',

    'mod.roomControls': 'Управление встречей',
    'mod.kind': 'Формат встречи',
    'mod.lock': 'Закрыть вход для новых участников',
    'mod.waitingRoom': 'Зал ожидания',
    'mod.chat': 'Чат',
    'mod.floorSeconds': 'Время выступления, секунд',
    'mod.export': 'Выгрузить для протокола',
    'mod.consentRequest': 'Запросить согласие на запись',
    'mod.end': 'Завершить встречу для всех',
    'mod.endTitle': 'Завершить встречу?',
    'mod.endText': 'Встреча закончится для всех участников, в том числе для залов.',
    'mod.removeTitle': 'Удалить «{name}» из встречи?',
    'mod.removeText': 'Участник сможет войти снова по своей ссылке.',
    'mod.banTitle': 'Удалить «{name}» и запретить вход?',
    'mod.banText': 'Участник не сможет вернуться во встречу по своей ссылке, пока встреча идёт.',
    'mod.actionsFor': 'Действия: {name}',
    'mod.muteMic': 'Выключить микрофон',
    'mod.unmuteMic': 'Разрешить микрофон',
    'mod.muteCam': 'Выключить камеру',
    'mod.unmuteCam': 'Разрешить камеру',
    'mod.askUnmute': 'Попросить включить микрофон',
    'mod.stageOn': 'Пригласить на сцену',
    'mod.stageOff': 'Вернуть в зал',
    'mod.remove': 'Удалить из встречи',
    'mod.ban': 'Удалить и запретить вход',
    'mod.camBlocked': 'камера выключена модератором',
    'mod.consentAsked': 'Участникам отправлен вопрос о согласии на запись.',

    'export.register': 'Список присутствующих',
    'export.speaking': 'Журнал выступлений',
    'export.audit': 'Журнал действий модераторов',
    'export.chat': 'Чат',

    'lobby.heading': 'Ожидают входа ({count})',
    'lobby.anonymous': 'без приглашения',
    'lobby.admit': 'Впустить',
    'lobby.deny': 'Отклонить',
    'lobby.admitAll': 'Впустить всех',
    'lobby.someoneWaits': '{name} ожидает входа',

    'consent.title': 'Согласие на запись',
    'consent.text': '{name} просит разрешения записать эту встречу. Запись начнётся, только если согласятся все участники.',
    'consent.yes': 'Разрешаю запись',
    'consent.no': 'Не разрешаю',
    'consent.state.yes': 'согласие на запись',
    'consent.state.no': 'против записи',
    'consent.state.pending': 'ждём ответа о записи',

    'chat.title': 'Чат',
    'chat.placeholder': 'Сообщение…',
    'chat.send': 'Отправить',
    'chat.delete': 'Удалить сообщение',
    'chat.off': 'Организатор отключил чат.',
    'chat.noPerm': 'В этой встрече вы не можете писать в чат.',
    'chat.empty': 'Сообщений пока нет.',
    'chat.newFrom': '{name}: {text}',

    'dialog.cancel': 'Отмена',
    'dialog.ok': 'Да',

    'waiting.heading': 'Подождите, вас скоро впустят',
    'waiting.text': 'Организатор встречи «{room}» получил ваш запрос на вход. Страница обновится сама, как только вас впустят.',

    'left.removed': 'Организатор удалил вас из встречи.',
    'left.banned': 'Организатор удалил вас из встречи. Повторный вход запрещён.',
    'left.ended': 'Организатор завершил встречу.',
    'room.serverShutdown': 'Сервер перезапускается: подключаемся снова…',
    'left.expired': 'Срок вашей ссылки-приглашения истёк. Попросите у организатора новую.',
    'room.expiring': 'Ваша ссылка-приглашение перестанет действовать примерно через {minutes} мин.',
    'left.replaced': 'Вы подключились к этой встрече в другом окне или на другом устройстве.',
    'left.denied': 'Организатор не впустил вас во встречу.',

    'join.asRole': 'Вы войдёте как: {role}',
    'join.nameFromInvite': 'Имя указано в приглашении.',
    'join.viewerNoDevices': 'Вы будете смотреть и слушать — камера и микрофон не понадобятся.',

    'hall.connecting': 'Подключение зала…',
    'hall.reconnecting': 'Связь с телемостом потеряна. Переподключаемся…',
    'hall.waitingOthers': 'Ожидаем подключения других залов',
    'hall.fullscreen': 'Во весь экран',

    'err.token_required': 'В эту комнату входят по ссылке-приглашению. Откройте ссылку, которую вам прислали.',
    'err.token_expired': 'Срок действия ссылки-приглашения истёк. Попросите организатора прислать новую.',
    'err.token_invalid': 'Ссылка-приглашение недействительна. Проверьте, что она скопирована полностью, или попросите новую.',
    'err.token_room': 'Эта ссылка-приглашение — для другой комнаты.',
    'err.token_not_yet_valid': 'Ссылка-приглашение ещё не действует. Попробуйте позже.',
    'err.banned': 'Организатор запретил вам вход в эту встречу.',
    'err.room_locked': 'Встреча закрыта для новых участников.',
    'err.rate_limited': 'Слишком часто. Подождите немного.',

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
    'room.severalJoined': 'Joined: {names}',
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

    'room.screenOf': 'Screen: {name}',
    'room.mutedByModerator': 'microphone muted by the moderator',
    'room.hand': 'Hand',
    'room.raiseHand': 'Raise hand',
    'room.lowerHand': 'Lower hand',
    'room.handRaisedToast': 'You raised your hand. The moderator sees you in the queue.',
    'room.screen': 'Screen',
    'room.shareScreen': 'Share your screen',
    'room.stopScreen': 'Stop sharing',
    'room.screenFailed': 'Could not share the screen: {reason}',
    'room.people': 'People',
    'room.peopleLabel': 'Participant list',
    'room.chat': 'Chat',
    'room.chatLabel': 'Meeting chat',
    'room.layout': 'Layout',
    'room.layoutGrid': 'Show everyone the same size',
    'room.layoutSpeaker': 'Show the speaker large',
    'room.viewerNote': 'You are a viewer: you watch and listen. To speak, raise your hand.',
    'room.participantNote': 'To speak, raise your hand: the moderator will give you the floor.',
    'room.micByModerator': 'The moderator muted your microphone.',
    'room.camByModerator': 'The moderator turned off your camera.',
    'room.micBlocked': 'Your microphone was muted by the moderator. Raise your hand to ask for the floor.',
    'room.unmuteRequest': '{name} asks you to turn on your microphone.',
    'room.unmuteRequestCam': '{name} asks you to turn on your camera.',
    'room.turnOnMic': 'Turn on microphone',
    'room.turnOnCam': 'Turn on camera',
    'room.needFloor': 'Your microphone and camera work when the moderator gives you the floor.',
    'room.stageOn': 'You were brought on stage: everyone sees and hears you.',
    'room.stageOff': 'You are back in the audience.',
    'room.exported': 'Saved “{filename}”.',
    'room.speakerNow': 'Speaking: {name}',
    'room.closePanel': 'Close the panel',

    'floor.has': 'has the floor',
    'floor.yours': 'You have the floor',
    'floor.someone': 'Floor: {name}',
    'floor.noLimit': 'no time limit',
    'floor.give': 'Give the floor for {seconds} s',
    'floor.take': 'Take the floor back',
    'floor.givenToast': 'You have the floor. Everyone hears you.',
    'floor.endedToast': 'Your time is up.',

    'people.title': 'People',
    'people.handRaised': 'hand raised',
    'people.hands': 'Raised hands ({count})',
    'people.everyone': 'Everyone ({count})',
    'people.lowerHand': 'Lower hand',
    'people.onStage': 'on stage',

    'role.moderator': 'Moderator',
    'role.speaker': 'Speaker',
    'role.participant': 'Participant',
    'role.viewer': 'Viewer',
    'role.site': 'Hall',

    'kind.consultation': 'Consultation',
    'kind.roundtable': 'Round table',
    'kind.hearing': 'Public hearing',
    'kind.telebridge': 'Telebridge',
    'kind.conference': 'Conference',

    'mod.roomControls': 'Meeting controls',
    'mod.kind': 'Kind of event',
    'mod.lock': 'Lock the meeting to newcomers',
    'mod.waitingRoom': 'Waiting room',
    'mod.chat': 'Chat',
    'mod.floorSeconds': 'Floor time, seconds',
    'mod.export': 'Export for the record',
    'mod.consentRequest': 'Ask for consent to record',
    'mod.end': 'End the meeting for all',
    'mod.endTitle': 'End the meeting?',
    'mod.endText': 'The meeting ends for every participant, halls included.',
    'mod.removeTitle': 'Remove “{name}” from the meeting?',
    'mod.removeText': 'They can come back with their link.',
    'mod.banTitle': 'Remove “{name}” and ban them?',
    'mod.banText': 'They cannot come back with their link while the meeting lasts.',
    'mod.actionsFor': 'Actions: {name}',
    'mod.muteMic': 'Mute microphone',
    'mod.unmuteMic': 'Allow microphone',
    'mod.muteCam': 'Turn off camera',
    'mod.unmuteCam': 'Allow camera',
    'mod.askUnmute': 'Ask to unmute',
    'mod.stageOn': 'Bring on stage',
    'mod.stageOff': 'Back to the audience',
    'mod.remove': 'Remove from the meeting',
    'mod.ban': 'Remove and ban',
    'mod.camBlocked': 'camera turned off by the moderator',
    'mod.consentAsked': 'Everyone was asked for consent to record.',

    'export.register': 'Attendance register',
    'export.speaking': 'Speaking log',
    'export.audit': 'Moderator audit log',
    'export.chat': 'Chat',

    'lobby.heading': 'Waiting to join ({count})',
    'lobby.anonymous': 'no invitation',
    'lobby.admit': 'Admit',
    'lobby.deny': 'Deny',
    'lobby.admitAll': 'Admit all',
    'lobby.someoneWaits': '{name} is waiting to join',

    'consent.title': 'Consent to recording',
    'consent.text': '{name} asks to record this meeting. Recording starts only if every participant agrees.',
    'consent.yes': 'I agree',
    'consent.no': 'I do not agree',
    'consent.state.yes': 'agrees to recording',
    'consent.state.no': 'against recording',
    'consent.state.pending': 'consent pending',

    'chat.title': 'Chat',
    'chat.placeholder': 'Message…',
    'chat.send': 'Send',
    'chat.delete': 'Delete the message',
    'chat.off': 'The organiser switched the chat off.',
    'chat.noPerm': 'You cannot write in the chat of this meeting.',
    'chat.empty': 'No messages yet.',
    'chat.newFrom': '{name}: {text}',

    'dialog.cancel': 'Cancel',
    'dialog.ok': 'Yes',

    'waiting.heading': 'Please wait, you will be let in shortly',
    'waiting.text': 'The organiser of “{room}” got your request to join. This page updates by itself as soon as you are admitted.',

    'left.removed': 'The organiser removed you from the meeting.',
    'left.banned': 'The organiser removed you from the meeting and does not allow you back.',
    'left.ended': 'The organiser ended the meeting.',
    'room.serverShutdown': 'The server is restarting: reconnecting…',
    'left.expired': 'Your invitation link has expired. Ask the organiser for a new one.',
    'room.expiring': 'Your invitation link stops working in about {minutes} min.',
    'left.replaced': 'You joined this meeting from another window or device.',
    'left.denied': 'The organiser did not let you in.',

    'join.asRole': 'You join as: {role}',
    'join.nameFromInvite': 'The name comes with your invitation.',
    'join.viewerNoDevices': 'You will watch and listen: no camera or microphone needed.',

    'hall.connecting': 'Connecting the hall…',
    'hall.reconnecting': 'The telebridge connection was lost. Reconnecting…',
    'hall.waitingOthers': 'Waiting for the other halls',
    'hall.fullscreen': 'Full screen',

    'err.token_required': 'This room is joined with an invitation link. Please open the link you were sent.',
    'err.token_expired': 'Your invitation link has expired. Please ask the organiser for a new one.',
    'err.token_invalid': 'The invitation link is not valid. Check that it was copied whole, or ask for a new one.',
    'err.token_room': 'This invitation link is for another room.',
    'err.token_not_yet_valid': 'This invitation link is not valid yet. Please try later.',
    'err.banned': 'The organiser does not allow you into this meeting.',
    'err.room_locked': 'The meeting is closed to newcomers.',
    'err.rate_limited': 'Too fast. Please wait a moment.',

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

/** Adds {ru: {...}, en: {...}} strings from another module (the recording pages). */
export function addStrings(extra) {
  for (const l of Object.keys(extra)) STRINGS[l] = { ...(STRINGS[l] || {}), ...extra[l] };
}
