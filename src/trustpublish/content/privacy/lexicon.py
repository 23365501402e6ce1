"""Word lists the name finder needs besides the first-name list (which comes from the
``gender-guesser`` package): health words, roles, citation cues, and common English
words that are also first names. Plain data; edit with care, tests pin behaviour.
"""

from __future__ import annotations

import regex

from .patterns import Lazy

__all__ = ["CITATION", "COMMON_WORDS", "FAMILY_AFTER", "FUNCTION_WORDS", "HEALTH", "NOT_PERSON",
           "PARTICLES", "PUBLIC_BEFORE", "QUOTED_AFTER", "ROLE_AFTER", "ROLE_BEFORE",
           "STAFF_BEFORE", "SURNAME_WORDS", "TITLES_PRIVATE", "TITLES_PROFESSIONAL"]

HEALTH = Lazy(regex.compile,
    r"\b(?:diagnos\w*|medicat\w*|meds|sessions?|therap\w*|relaps\w*|disorders?|depress\w*|"
    r"anxi\w*|panic|PTSD|C-PTSD|trauma\w*|bipolar|schizo\w*|psychos[ie]s|psychotic|ADHD|ADD|OCD|"
    r"autis\w*|addict\w*|alcohol\w*|sober|sobriety|rehab\w*|detox\w*|overdos\w*|suicid\w*|"
    r"self-harm\w*|cutting|anorexi\w*|bulimi\w*|binge\w*|insomnia|grie(?:f|ving)|counsel\w*|"
    r"treat\w*|prescri\w*|antidepressants?|SSRIs?|sertraline|zoloft|prozac|fluoxetine|"
    r"lexapro|escitalopram|xanax|alprazolam|lithium|adderall|methadone|suboxone|naloxone|"
    r"hospital\w*|inpatient|outpatient|psychiatr\w*|psycholog\w*|symptoms?|intake|"
    r"appointments?|recover\w*|cancer|HIV|AIDS|diabet\w*|pregnan\w*|miscarriage|abortion|"
    r"dementia|alzheimer\w*|seizures?|epilep\w*|postpartum|abuse\w*|assault\w*|crisis|"
    r"breakdown|manic|mania|hallucinat\w*|paranoi\w*|phobi\w*|dissociat\w*|BPD|borderline|"
    r"ideation|pills|dosage|dose|illness|disease|chronic|condition|burnout|struggl\w*|"
    r"coping|heal(?:ing)?|patients?|clients?|mental\s+health|ER|ICU|ward|diagnosis|"
    r"DSM|prognosis|rx|mg|withdrawal|cravings?|drugs?|opioids?|heroin|cocaine|meth)\b",
    regex.IGNORECASE)

_ROLES = (r"(?:client|patient|counselee|member|participant|resident|veteran|teen|teenager|"
          r"student|son|daughter|mom|mother|dad|father|husband|wife|partner|friend|neighbou?r|"
          r"case|survivor|caller|parent|child|kid|boy|girl|man|woman|gentleman|lady)")
#: right before a name: "my client Maria", "a patient named Jo", "one young mother, Ana,"
ROLE_BEFORE = Lazy(regex.compile,
    r"\b(?:my|our|a|an|one|the|this|that|another|former|his|her|their)\s+"
    r"(?:(?:former|new|young|old|older|teenage|adult|longtime|long-time|current|first|"
    r"previous|recent|dear|sweet|brave|late|\d+-year-old|single|elderly)\s+){0,2}"
    rf"{_ROLES}s?\s*,?\s*(?:\(?(?:named|called|whom\s+I'?ll\s+call|I'?ll\s+call)\s+)?$"
    r"|\b(?:client|patient|name|client\s+name|patient\s+name|full\s+name|resident|member)\s*:\s*$",
    regex.IGNORECASE)
#: right after a name: "Maria, a client of ours", "Jo, 34,", "Ana (a patient)"
ROLE_AFTER = Lazy(regex.compile,
    r"(?:\s*,\s*(?:age\s*|aged\s*)?\d{1,2}\s*[,)]|\s*\(\s*(?:age\s*)?\d{1,2}\s*\)|"
    rf"\s*[,(]\s*(?:a|an|one\s+of\s+(?:my|our)|my|our)\s+(?:\w+\s+){{0,2}}{_ROLES}s?\b|"
    r"\s+(?:came\s+to\s+(?:me|us|see\s+(?:me|us))|started\s+(?:therapy|counsel\w*|seeing\s+"
    r"(?:me|us))|told\s+me|shared\s+with\s+me|first\s+came\s+in))",
    regex.IGNORECASE)
#: a clinician of the clinic: "our therapist Maya", "my colleague Dr. Ruiz"
STAFF_BEFORE = Lazy(regex.compile,
    r"\b(?:our|my|the\s+clinic'?s|Harborview'?s)\s+(?:\w+\s+){0,2}(?:therapists?|counsel+ors?|"
    r"psychologists?|psychiatrists?|clinicians?|social\s+workers?|directors?|founders?|"
    r"colleagues?|interns?|nurses?|practitioners?|coordinators?|receptionists?|staff|team|"
    r"owner|CEO|manager|supervisor|lead|host|facilitator|speaker|guest)\s*,?\s*(?:Dr\.?\s+)?$",
    regex.IGNORECASE)
#: a public figure cited: "according to", "wrote", "(Beck, 1979)", "'s book"...
CITATION = Lazy(regex.compile,
    r"\b(?:according\s+to|wrote|writes|written\s+by|write|author\w*|books?|novel|memoir|"
    r"studies|study|studied|research\w*|coined|developed|pioneer\w*|founded|invented|"
    r"the\s+(?:founder|father|mother|godfather|pioneer)\s+of|argues|describes|explains|"
    r"theory|theories|roots|history|legacy|lessons|"
    r"published|et\s+al|TED|podcast|quote[sd]?|quoting|famously|model|framework|approach|"
    r"method|scale|inventory|questionnaire|work\s+of|lecture|keynote|interview(?:ed)?|"
    r"professor|researcher|scientist|neuroscientist|historians?|biograph\w*|"
    r"publicly|openly|public|revealed|raised\s+awareness|the\s+late|column|documentary|"
    r"front\s+desk|reception|(?:leads|runs|hosts|facilitates|teaches)\s+our|our\s+director|"
    r"joins?\s+(?:our|the)\s+team|joined\s+(?:our|the)\s+team|"
    r"poet|philosopher|essay|article|journal|paper|edition|isbn|suggests|"
    r"reminds|put\s+it|once\s+said|taught\s+us|teaches|popularized|"
    r"created|introduced|proposed|documented|famous|classic|bestsell\w*|"
    r"Nobel|Pulitzer|actor|actress|singer|athlete|Olympi\w*|president|senator|"
    r"prince|princess|celebrit\w*|musician|rapper|swimmer|gymnast)\b"
    r"|\(\s*(?:\p{Lu}[\p{L}-]+(?:\s+(?:&|and)\s+\p{Lu}[\p{L}-]+)?(?:\s+et\s+al\.?)?,\s*)?"
    r"(?:19|20)\d\d[a-z]?\s*\)",
    regex.IGNORECASE)
#: a public role right before a name: "the psychologist Aaron Beck", "singer Demi Lovato"
PUBLIC_BEFORE = Lazy(regex.compile,
    r"\b(?:psychologist|psychiatrist|psychotherapist|researcher|professor|author|writer|"
    r"scientist|neuroscientist|poet|philosopher|actor|actress|singer|athlete|swimmer|gymnast|"
    r"rapper|comedian|star|president|senator|journalist|novelist|pioneer|founder)s?\s*,?\s*$",
    regex.IGNORECASE)
#: right after a name, the present tense of someone quoted: "Brené Brown says", "as Beck notes"
QUOTED_AFTER = Lazy(regex.compile,
    r"\s*,?\s+(?:says|writes|puts\s+it|notes|reminds\s+us|teaches|argues|explains|observes|"
    r"suggests|calls\s+it|describes|defines|tells\s+us)\b", regex.IGNORECASE)
#: right after a possessive name, a family role ties the name to a client ("Tyler's mom")
FAMILY_AFTER = Lazy(regex.compile,
    r"['’]s?\s+(?:mom|mum|mother|dad|father|parents?|wife|husband|son|daughter|sister|brother|"
    r"partner|family|therapist|counsel+or|psychiatrist|doctor|case\s+manager|diagnosis|"
    r"medication|meds|relapse|recovery|treatment|sessions?)\b", regex.IGNORECASE)
#: surnames that are also place or building words: "Linda Park", "Arsenio Hall"
SURNAME_WORDS = frozenset("park hall house wood field lake king church banks law lane street "
                          "hill wells brook rivers ford".split())
#: a word in a capitalised run that makes it an organisation, place, event or work
NOT_PERSON = frozenset("""
clinic clinics center centre hospital hospitals university college school institute foundation
association society program programme month day week year street st avenue ave road rd
boulevard blvd lane drive county city state lake park hall group team inc llc ltd corp company
press books journal award act law scale inventory test method model therapy counseling
counselling health services service department office hotline line lifeline network alliance
coalition council church temple mosque synagogue library museum trust fund project initiative
conference summit workshop festival fair walk run marathon awareness hospice unit ward
residence house home academy medical behavioral behavioural wellness care recovery campus
cathedral chapel parish ministries ministry mission shelter pantry bank gallery theatre theater
""".split())
TITLES_PRIVATE = Lazy(regex.compile, r"\b(?:Mr|Mrs|Ms|Miss|Mx|Mister)\.?\s+$")
TITLES_PROFESSIONAL = Lazy(regex.compile,
    r"\b(?:Dr|Doctor|Prof|Professor|Rev|Reverend|Sen|Senator|Rep|Gov|Pres|Sir|Dame|Lord|"
    r"Lady|Saint|St|Pope|Judge|Justice|Coach|Captain|Capt|Gen|Col|Sgt)\.?\s+$")
PARTICLES = frozenset(
    "van der den de la le du von di da del della dos das bin ibn al el st".split())

#: words that start a sentence but never a name ("The Martin Luther King Jr. Day")
FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each even ever every
few for from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or other
our ours out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up very was we were what when where which
while who whom why with would you your yours yourself dear hello hi thanks meet join
""".split())

#: common English words (and places, months, holidays) that are also first names: a lone
#: capitalised one is read as a word, not a person; in a full name it still counts
COMMON_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each even ever every
few for from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or other
our ours out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself one two three four five six seven
eight nine ten first second last next new old many much still yet well back like way may
might must shall let lets see say said go going gone get got make made take took come came
give gave tell told ask asked feel felt find found keep kept know knew think thought try
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter
easter christmas hanukkah ramadan diwali thanksgiving halloween valentine passover
hope grace faith joy patience charity mercy harmony serenity trinity destiny honor honour
justice liberty unity constance prudence felicity verity bliss glory promise journey
rose lily iris ivy violet daisy holly heather dawn sky rain river storm star sunny ocean amber
crystal pearl ruby jade coral forest brook meadow willow hazel olive ginger pepper basil
candy honey cookie bean sage page carol major royal noble sterling price rocky sandy penny
buddy baby angel precious princess lucky happy bright gay fair free early long little small
strong swift stone hill lake field wood marsh bush moss heath bay ash oak elm pine birch cedar
will mark bill art rich frank grant guy jack ray rob sue pat chase miles drew cliff dean gene
glen hunter lane reed wade wells young king case care love sunday christian catholic
jordan georgia virginia carolina austin dallas houston madison orlando phoenix denver eugene
marion florence lincoln jackson washington kent devon chester sydney adelaide victoria
columbia charlotte savannah tyler beverly troy cleveland salem vienna lourdes paris london
america american asia africa india china israel jersey york brooklyn harlem logan aurora
mental health anxiety therapy session client patient dear hello hi thanks thank please
today tomorrow yesterday tonight morning evening night okay ok yes yeah sure maybe sorry
god lord jesus allah buddha mother father mom dad sister brother son daughter aunt uncle
baby nurse doctor coach judge chief pastor bishop saint sir madam ma'am gentle
west east north south central upper lower new great grand mount fort port
""".split())
