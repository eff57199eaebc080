"""TODO"""

from __future__ import annotations

import re




RECOMMEND = re.compile(
    r"recommend|raccomand|consiglier|recommand|recomend|empfehl|aanbevel|aanraden|polecił|polecic|polecić|"
    r"likelihood to rec|net promoter",
    re.I,
)
NPS_NAME = re.compile(
    r"^(q?nps|e-?nps|rec|ltr|nps[ _.-]?(score|value|rating|answer|response|punteggio|voto)|"
    r"(score|punteggio|voto)[ _.-]?nps|ltr[ _.-]?score|likelihood[ _.-]?to[ _.-]?recommend|q\d+[ _.-]?nps)$",
    re.I,
)
SCORE_NAME = re.compile(r"^(score|rating|punteggio|voto|note|nota|bewertung|puntuaci[oó]n|pontua[cç][aã]o)$", re.I)
NPS_GROUP = re.compile(r"nps[ _.-]?(group|grupp|categor|class|segment|type|label)|_nps_group", re.I)
EMPLOYEE_QUESTION = re.compile(
    r"place to work|as an employer|work here|luogo di lavoro|posto di lavoro|datore di lavoro|lavorare (qui|in|presso)|"
    r"comme employeur|lieu de travail|endroit où travailler|endroit pour travailler|como empleador|"
    r"lugar para trabajar|lugar de trabajo|als arbeitgeber|arbeitgeber|arbeitsplatz|como empregador|"
    r"lugar para trabalhar|\benps\b|employee net promoter",
    re.I,
)
EMPLOYEE_COLUMN = re.compile(
    r"employee|dipendent|mitarbeiter|salari[ée]|empleado|funcion[aá]rio|colaborador|tenure|anzianit|seniority|"
    r"hire ?date|data (di )?assunzione|job ?title|job ?level|mansione|\bmanager\b|department|reparto",
    re.I,
)
DATE_NAME = re.compile(
    r"date|data|datum|fecha|time|zeit|heure|hora|timestamp|submitted|recorded|created|completed|"
    r"horodateur|marca temporal|carimbo|cronologic|giorno|jour|\bwhen\b|_at$|_on$|\bdt\b|\bday\b",
    re.I,
)
# Named for the answer itself: when it was submitted, recorded, responded.
DATE_ANSWER = re.compile(
    r"recorded|submit|respon(ded|se.?(date|time|at|on))|answer(ed)?.?(date|at|on)|survey(ed)?.?(date|at|on)|"
    r"surveyed|date.?of.?(the.?)?response|date.?(de.?)?r[ée]ponse|data.?(della |da |de )?r[ie]sposta|"
    r"fecha.?(de.?)?respuesta|antwort.?datum|datum.?der.?antwort",
    re.I,
)
# When the survey was finished, or the tool's own timestamp, or just "date".
DATE_BEST = re.compile(
    r"completed|completion|end.?date|enddate|horodateur|zeitstempel|marca temporal|carimbo|cronologic|timestamp|"
    r"^date$|^data$|^datum$|^fecha$",
    re.I,
)
DATE_GOOD = re.compile(r"finished|^date|date$", re.I)
# Dates of something else: the record, the invitation, the customer, the contract.
DATE_WORSE = re.compile(
    r"start|birth|nascita|naissance|nacimiento|geburt|expir|scaden|\bdue\b|hire|assunz|modified|updated|"
    r"creat|insert|import|\bsent\b|sent.?(at|on|date)|invit|deliver(ed|y).?(at|on|date)|last.?(login|seen|update)|"
    r"signup|sign.?up|registr|iscrizion|inscri|contract|contratt|subscri",
    re.I,
)
COMMENT_NAME = re.compile(
    r"why|reason|perch[ée]|motiv|pourquoi|raison|por ?qu[ée]|porque|warum|grund|comment|kommentar|"
    r"coment[aá]rio|verbatim|\btext\b|feedback|suggest|suggeri|open|osservazion|\bnote?s?\b|remark|expli|"
    r"tell us|describe|improve|miglior|améliorer|mejorar|free text|testo|because|anmerkung|bemerkung|"
    r"begründung|observa|justifica",
    re.I,
)
# Names that only a comment has: such a column is the comment even when its texts repeat
# (short or templated comments repeat a lot in real exports).
COMMENT_STRONG = re.compile(
    r"comment|kommentar|coment[aá]r|verbatim|feedback|\bwhy\b|perch[ée]|pourquoi|por ?qu[ée]|porque|warum|"
    r"reason|raison|raz[oó]n|raz[aã]o|motiv|\bgrund\b|begründung|because|expli|remark|remarque|osservazion|"
    r"observa|anmerkung|bemerkung|justifica|^notes?$|^note[ _.-]|^nota[s]?$",
    re.I,
)
# Comment words that also name categories ("contact reason", "motivo chiamata"): such a column
# must hold varied text to be the comment.
COMMENT_CATEGORY = re.compile(r"reason|raison|raz[oó]n|raz[aã]o|motiv|\bgrund\b|feedback.?(type|categor)", re.I)
# Who answered: a customer, an account, a person. Such a column is the respondent even when
# the sample holds each value once (customers who answered once).
RESPONDENT_PERSON = re.compile(
    r"customer.?(id|number|no|code|key|ref)|client.?(id|number|no|code|key|ref)|codice.?cliente|id.?cliente|"
    r"n(umero|\.)?.?cliente|cliente.?(id|code|codice|n)|kunden.?(id|nummer|nr)|kundennummer|"
    r"(user|member|account|person|contact|subscriber|patient|guest|buyer|household|abonn[ée]|utente|"
    r"socio|cuenta|conta|konto)[ _.-]?(id|number|no|code|key|ref|nr|nummer|numero)|"
    r"identifiant.?client|id.?(user|utente|account|contact)|e-?mail|courriel|correo|"
    r"employee.?(id|number|code)|matricola|personalnummer|respondent",
    re.I,
)
# The most specific of those first: an account or customer id over an e-mail over "respondent".
RESPONDENT_RANK = (
    re.compile(r"customer|client|kunde|account|member|subscriber|cuenta|conta|konto|user|utente|person|contact", re.I),
    re.compile(r"e-?mail|courriel|correo|employee|matricola|personalnummer", re.I),
)
# Ids of something: a response, a record, a row. Unique per row it is a response id, not a respondent.
RESPONSE_ID = re.compile(
    r"response.?id|responseid|_recordid|record.?id|submission|^#$|^id$|[ _]id$|^id[ _]|token|^uuid$|^key$",
    re.I,
)
WEIGHT_NAME = re.compile(
    r"^(weight|weights|peso|pesi|poids|gewicht|ponderazione|ponderaci[oó]n|wt|wgt)$|weight$|^weight", re.I
)
METADATA = re.compile(
    r"^(ip ?address|ipaddress|ip|status|progress|duration.*|finished|user ?language|userlanguage|"
    r"recipient ?(last|first) ?name|recipient(last|first)name|recipient ?email|recipientemail|"
    r"external ?(data )?reference|externalreference|externaldatareference|"
    r"location ?(latitude|longitude|accuracy)|location(latitude|longitude|accuracy)|latitude|longitude|"
    r"response ?set|responseset|network ?id|collector ?id|user ?agent|browser.*|custom ?data ?\d*|"
    r"first ?name|last ?name|name|nome|cognome|q_.*|v\d+|start date \(utc\)|submit date \(utc\)|"
    r"stage date \(utc\)|ip-adresse|antworttyp|aktueller stand|dauer.*|beendet|breitengrad.*|längengrad.*|"
    r"benutzersprache|nachname.*|vorname.*|e-mail des empfängers)$",
    re.I,
)
DISTRIBUTION = re.compile(r"distribution", re.I)
# Numbers that measure rather than name a group: ratings, counts, amounts, durations.
MEASURE_NAME = re.compile(
    r"rating|\brate\b|_rate|rate_|score|punteggio|voto|valutazion|\bnote\b|\bnota\b|bewertung|satisf|soddisf|"
    r"csat|\bces\b|effort|count|number|^num|^n_|_n$|qty|quantit|amount|importo|price|prezzo|prix|spend|revenue|"
    r"cost|total|\bage\b|duration|minutes|seconds|days|hours|visits|orders|items|progress|ness$",
    re.I,
)
SURVEY_TYPE_NAME = re.compile(
    r"survey[ _.-]*type|tipo[ _.-]*(di[ _.-]*)?(indagine|sondaggio|survey|questionario|rilevazione)|"
    r"type[ _.-]*d.?enqu[êe]te|tipo[ _.-]*de[ _.-]*encuesta|umfrage[ _.-]*typ|nps[ _.-]*type|type[ _.-]*nps",
    re.I,
)
SURVEY_TYPE_VALUE = re.compile(
    r"transaction|relation|transazional|relazional|transactionnel|relationnel|transaccional|relacional|"
    r"transaktion|beziehung|tnps|rnps|touchpoint|journey|brand",
    re.I,
)
LANGUAGE_CUES = {
    "it": re.compile(
        r"\b(data|risposta|cliente|perch[ée]|consiglieresti|raccomand\w*|probabilit[àa]|commento|valutazione|"
        r"informazioni cronologiche|quanto|citt[àa]|negozio|punteggio|motivo|canale|funzione)\b",
        re.I,
    ),
    "fr": re.compile(
        r"\b(date de|réponse|pourquoi|recommander\w*|horodateur|commentaire|ville|probabilité|canal|magasin)\b", re.I
    ),
    "de": re.compile(
        r"\b(datum|antwort\w*|warum|empfehlen|zeitstempel|kommentar|stadt|wahrscheinlich\w*|anfangsdatum|"
        r"enddatum|erfassungsdatum)\b",
        re.I,
    ),
    "es": re.compile(r"\b(fecha|respuesta|por qué|recomendar\w*|marca temporal|comentario|ciudad|tienda)\b", re.I),
    "pt": re.compile(r"\b(resposta|por que|recomendaria|carimbo|comentário|cidade|loja)\b", re.I),
}
ENGLISH_CUES = re.compile(r"\b(date|response|why|recommend|timestamp|comment|city|likely|store|customer)\b", re.I)
