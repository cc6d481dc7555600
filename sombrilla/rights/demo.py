"""Demo rights content: four articles in English, Spanish and Russian, two quick cards and one spoken card.

General guidance in a rights-based tone, not legal advice for any one country: every article sends the
reader to their organisation for what applies where they are. Written through the services, exactly as staff
would, so the demo exercises the real path (sanitising, review, audit, audio checks).
"""

from pathlib import Path

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.rights import services
from sombrilla.rights.models import Article, Icon, Provenance, Topic

# espeak-ng reading the English quick card of "If you are arrested", encoded with opusenc at 16 kbit/s.
AUDIO = Path(__file__).parent / "fixtures" / "arrested-card-en.opus"

ARRESTED = {
    "en": (
        Provenance.ORIGINAL,
        "If you are arrested",
        "Stay calm, stay safe, and know what you can ask for.",
        """You have rights, even if sex work is against the law where you are. The rules differ from country to \
country. Ask a lawyer or your organisation what applies where you live.

## At the moment of arrest
- Stay calm. Do not run or fight back: it can put you in more danger.
- Ask: "Why are you arresting me?" You have the right to know.
- Remember the officers' names, badge numbers, the place and the time.

## At the police station
- Ask to call a lawyer, a friend or your organisation.
- You can stay silent until you have spoken to a lawyer.
- Do not sign anything you do not understand. Ask for an interpreter if you need one.
- If you need medicine (for example HIV treatment or PrEP), say so.

## Afterwards
- Write down what happened as soon as you can.
- If you were hurt or forced into anything, get health care and tell your organisation.
- Tell your organisation about abuse by police: it keeps your report confidential.""",
        [
            (Icon.SIREN, "Stay calm. Do not run or fight."),
            (Icon.SHIELD, "Ask why you are being arrested."),
            (Icon.PHONE, "Ask to call a lawyer or your organisation."),
            (Icon.LOCK, "You can stay silent. Do not sign what you do not understand."),
            (Icon.NOTE, "Remember names, badge numbers, time and place."),
        ],
    ),
    "es": (
        Provenance.COMMUNITY,
        "Si te detienen",
        "Mantén la calma, cuídate y conoce lo que puedes pedir.",
        """Tienes derechos, aunque el trabajo sexual esté prohibido donde estás. Las reglas cambian de un país a \
otro. Pregunta a una abogada o a tu organización qué se aplica donde vives.

## En el momento de la detención
- Mantén la calma. No huyas ni te resistas: puede ponerte en más peligro.
- Pregunta: «¿Por qué me detienen?». Tienes derecho a saberlo.
- Recuerda los nombres de los agentes, sus números de placa, el lugar y la hora.

## En la comisaría
- Pide llamar a una abogada, a una amiga o a tu organización.
- Puedes guardar silencio hasta hablar con una abogada.
- No firmes nada que no entiendas. Pide un intérprete si lo necesitas.
- Si necesitas medicinas (por ejemplo, tratamiento del VIH o PrEP), dilo.

## Después
- Escribe lo que pasó lo antes posible.
- Si te hicieron daño o te obligaron a algo, busca atención médica y avisa a tu organización.
- Cuenta a tu organización los abusos de la policía: guarda tu denuncia en confidencialidad.""",
        [
            (Icon.SIREN, "Mantén la calma. No huyas ni te resistas."),
            (Icon.SHIELD, "Pregunta por qué te detienen."),
            (Icon.PHONE, "Pide llamar a una abogada o a tu organización."),
            (Icon.LOCK, "Puedes guardar silencio. No firmes lo que no entiendas."),
            (Icon.NOTE, "Recuerda nombres, números de placa, hora y lugar."),
        ],
    ),
    "ru": (
        Provenance.COMMUNITY,
        "Если вас задержали",
        "Сохраняйте спокойствие, берегите себя и знайте, что вы можете требовать.",
        """У вас есть права, даже если секс-работа запрещена там, где вы находитесь. Законы в разных странах \
разные. Спросите юриста или свою организацию, что действует у вас.

## Во время задержания
- Сохраняйте спокойствие. Не убегайте и не сопротивляйтесь: это может быть опаснее.
- Спросите: «За что меня задерживают?» Вы имеете право это знать.
- Запомните имена полицейских, номера их жетонов, место и время.

## В отделении полиции
- Попросите позвонить юристу, подруге или в свою организацию.
- Вы можете молчать, пока не поговорите с юристом.
- Не подписывайте то, чего не понимаете. Попросите переводчика, если он нужен.
- Если вам нужны лекарства (например, терапия ВИЧ или PrEP), скажите об этом.

## После
- Запишите, что произошло, как можно скорее.
- Если вам причинили вред или к чему-то принудили, обратитесь за медицинской помощью и сообщите своей \
организации.
- Сообщайте своей организации о насилии со стороны полиции: она сохранит ваше сообщение в тайне.""",
        [
            (Icon.SIREN, "Сохраняйте спокойствие. Не убегайте и не сопротивляйтесь."),
            (Icon.SHIELD, "Спросите, за что вас задерживают."),
            (Icon.PHONE, "Попросите позвонить юристу или в свою организацию."),
            (Icon.LOCK, "Вы можете молчать. Не подписывайте то, чего не понимаете."),
            (Icon.NOTE, "Запомните имена, номера жетонов, время и место."),
        ],
    ),
}

POLICE_CHECK = {
    "en": (
        Provenance.ORIGINAL,
        "Your rights during a police check",
        "What to do when police stop you in the street or at work.",
        """Police may stop you and ask questions. How you answer can help keep you safe.

- Stay calm and polite. Keep your hands where they can see them.
- Ask: "Am I free to go?" If the answer is yes, leave calmly.
- Carry a copy of your ID if the law where you are asks for one.
- If they want to search you, say clearly: "I do not agree to this search." Do not resist with force.
- Condoms protect your health. If police take them or use them against you, tell your organisation.
- Before you hand over or unlock your phone, ask which law allows them to take it.
- Police must not ask you for money or sex. If they do, remember the details and tell your organisation.

Every country has its own rules. Ask your organisation what applies where you work.""",
        [
            (Icon.SHIELD, "Stay calm. Keep your hands where they can see them."),
            (Icon.ALERT, "Ask: Am I free to go?"),
            (Icon.LOCK, "Say: I do not agree to this search."),
            (Icon.PHONE, "If they take you, call your organisation."),
            (Icon.NOTE, "Remember names, badge numbers, time and place."),
        ],
    ),
    "es": (
        Provenance.COMMUNITY,
        "Tus derechos en un control policial",
        "Qué hacer cuando la policía te para en la calle o en el trabajo.",
        """La policía puede pararte y hacerte preguntas. Cómo respondes puede ayudarte a estar más segura.

- Mantén la calma y la educación. Deja las manos a la vista.
- Pregunta: «¿Puedo irme?». Si la respuesta es sí, vete con calma.
- Lleva una copia de tu documento si la ley del lugar lo pide.
- Si quieren registrarte, di claramente: «No doy mi consentimiento a este registro». No te resistas con fuerza.
- Los condones protegen tu salud. Si la policía te los quita o los usa en tu contra, avisa a tu organización.
- Antes de entregar o desbloquear tu teléfono, pregunta qué ley lo permite.
- La policía no debe pedirte dinero ni sexo. Si lo hace, recuerda los detalles y avisa a tu organización.

Cada país tiene sus reglas. Pregunta a tu organización qué se aplica donde trabajas.""",
        [
            (Icon.SHIELD, "Mantén la calma. Deja las manos a la vista."),
            (Icon.ALERT, "Pregunta: ¿Puedo irme?"),
            (Icon.LOCK, "Di: No doy mi consentimiento a este registro."),
            (Icon.PHONE, "Si te llevan, llama a tu organización."),
            (Icon.NOTE, "Recuerda nombres, números de placa, hora y lugar."),
        ],
    ),
    "ru": (
        Provenance.COMMUNITY,
        "Ваши права при проверке полицией",
        "Что делать, если полиция остановила вас на улице или на работе.",
        """Полиция может остановить вас и задать вопросы. То, как вы отвечаете, может помочь вам остаться в \
безопасности.

- Сохраняйте спокойствие и вежливость. Держите руки на виду.
- Спросите: «Я могу идти?» Если да, спокойно уходите.
- Носите с собой копию документа, если этого требует закон там, где вы находитесь.
- Если вас хотят обыскать, чётко скажите: «Я не даю согласия на обыск». Не сопротивляйтесь силой.
- Презервативы защищают ваше здоровье. Если полиция их забирает или использует против вас, сообщите своей \
организации.
- Прежде чем отдать или разблокировать телефон, спросите, какой закон это разрешает.
- Полиция не должна требовать денег или секса. Если это случилось, запомните детали и сообщите своей организации.

В каждой стране свои правила. Спросите свою организацию, что действует там, где вы работаете.""",
        [
            (Icon.SHIELD, "Сохраняйте спокойствие. Держите руки на виду."),
            (Icon.ALERT, "Спросите: «Я могу идти?»"),
            (Icon.LOCK, "Скажите: «Я не даю согласия на обыск»."),
            (Icon.PHONE, "Если вас забирают, позвоните в свою организацию."),
            (Icon.NOTE, "Запомните имена, номера жетонов, время и место."),
        ],
    ),
}

SAFER_WORK = {
    "en": (
        Provenance.ORIGINAL,
        "Safer work",
        "Simple habits that make meeting clients safer.",
        """- Before you meet, check the client in the alerts.
- Tell a friend or your buddy where you go and when you will be back. Use a check-in plan.
- Meet in a place you know, and know how to leave it.
- Agree the price and the services before you start.
- Keep your phone charged and with you.
- Carry condoms and lubricant. Use a condom every time.
- Trust your feelings. If something feels wrong, leave.
- If a client is violent, report it so others are warned.""",
    ),
    "es": (
        Provenance.COMMUNITY,
        "Trabajo más seguro",
        "Hábitos sencillos para que las citas con clientes sean más seguras.",
        """- Antes de una cita, consulta al cliente en las alertas.
- Dile a una amiga o a tu compañera de seguridad adónde vas y cuándo vuelves. Usa un plan de aviso.
- Queda en un lugar que conozcas y del que sepas salir.
- Acuerda el precio y los servicios antes de empezar.
- Lleva el teléfono cargado y contigo.
- Lleva condones y lubricante. Usa condón siempre.
- Confía en lo que sientes. Si algo no va bien, vete.
- Si un cliente es violento, denúncialo para avisar a las demás.""",
    ),
    "ru": (
        Provenance.COMMUNITY,
        "Безопасная работа",
        "Простые привычки, которые делают встречи с клиентами безопаснее.",
        """- Перед встречей проверьте клиента в оповещениях.
- Скажите подруге или напарнице, куда вы идёте и когда вернётесь. Используйте план отметки.
- Встречайтесь в знакомом месте и знайте, как оттуда уйти.
- Договоритесь о цене и услугах до начала.
- Держите телефон заряженным и при себе.
- Носите с собой презервативы и лубрикант. Всегда используйте презерватив.
- Доверяйте своим ощущениям. Если что-то не так, уходите.
- Если клиент проявил насилие, сообщите об этом, чтобы предупредить других.""",
    ),
}

DIGITAL_SAFETY = {
    "en": (
        Provenance.ORIGINAL,
        "Digital safety",
        "Keep your phone, your chats and your name safe.",
        """- Lock your phone with a PIN or a passphrase, not a pattern.
- Use a work name that is not your real name.
- Do not share photos that show your face, your tattoos or your home.
- Turn off location in photos, and in apps that do not need it.
- Chat in apps with end-to-end encryption.
- Delete messages you do not need to keep.
- On this site, press "Quick exit" if someone comes near.
- If your phone is taken, use "Log out everywhere" from another device.""",
    ),
    "es": (
        Provenance.COMMUNITY,
        "Seguridad digital",
        "Protege tu teléfono, tus chats y tu nombre.",
        """- Bloquea el teléfono con un PIN o una contraseña, no con un patrón.
- Usa un nombre de trabajo que no sea tu nombre real.
- No compartas fotos que muestren tu cara, tus tatuajes o tu casa.
- Desactiva la ubicación en las fotos y en las aplicaciones que no la necesitan.
- Usa aplicaciones de mensajería con cifrado de extremo a extremo.
- Borra los mensajes que no necesites guardar.
- En este sitio, pulsa «Salida rápida» si alguien se acerca.
- Si te quitan el teléfono, usa «Cerrar sesión en todas partes» desde otro dispositivo.""",
    ),
    # Left as the machine wrote it (and reviewed for meaning), so the demo shows how members are told.
    "ru": (
        Provenance.MACHINE,
        "Цифровая безопасность",
        "Держите ваш телефон, ваши чаты и ваше имя в безопасности.",
        """- Блокируйте ваш телефон с помощью PIN-кода или пароля, а не графического ключа.
- Используйте рабочее имя, которое не является вашим настоящим именем.
- Не делитесь фотографиями, которые показывают ваше лицо, ваши татуировки или ваш дом.
- Отключите местоположение в фотографиях и в приложениях, которым оно не нужно.
- Общайтесь в приложениях со сквозным шифрованием.
- Удаляйте сообщения, которые вам не нужно хранить.
- На этом сайте нажмите «Быстрый выход», если кто-то приближается.
- Если ваш телефон забрали, используйте «Выйти везде» с другого устройства.""",
    ),
}


def _write(author: Membership, article: Article, versions: dict) -> None:
    for language, (provenance, title, summary, body, *card) in versions.items():
        services.version_save(
            actor=author,
            article=article,
            language=language,
            title=title,
            summary=summary,
            body=body,
            provenance=provenance,
            card_steps=card[0] if card else (),
            reviewed=True,
        )


def demo_load(*, organisation: Organisation, author: Membership) -> list[Article]:
    """The demo articles for `organisation`, written and reviewed by `author` (a staff membership). Does
    nothing if the organisation already has articles, so it can run twice."""
    if Article.objects.filter(organisation=organisation).exists():
        return list(Article.objects.filter(organisation=organisation))
    countries = list(Area.objects.filter(organisation=organisation, kind=Area.Kind.COUNTRY))
    arrested = services.article_create(actor=author, topic=Topic.ARREST, is_key=True)
    # Tagged with the organisation's countries, to show a country's own card beside one for everywhere.
    police = services.article_create(actor=author, topic=Topic.POLICE_CHECK, is_key=True, countries=countries)
    safer = services.article_create(actor=author, topic=Topic.SAFER_WORK)
    digital = services.article_create(actor=author, topic=Topic.DIGITAL_SAFETY)
    for article, versions in (
        (arrested, ARRESTED),
        (police, POLICE_CHECK),
        (safer, SAFER_WORK),
        (digital, DIGITAL_SAFETY),
    ):
        _write(author, article, versions)
    english = arrested.versions.get(language="en")
    services.audio_upload(actor=author, version=english, data=AUDIO.read_bytes(), synthetic=True)
    return [arrested, police, safer, digital]
