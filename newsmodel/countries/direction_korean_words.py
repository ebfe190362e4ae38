"""The particles, endings and words the Korean direction reader keys on (newsmodel.countries.
direction_korean), as compiled patterns: kept apart so the reader's logic reads on its own and a
Korean speaker can extend a pattern without touching it."""

from __future__ import annotations

import re

from newsmodel.countries.directed import CO, SOURCE, TARGET

# Korean: the particle that ends the mention's word, or the next word when the mention modifies a
# noun ("중국산 제품에", "푸틴 대통령은"). Longest endings first.
_KO_ENDINGS: tuple[tuple[str, str], ...] = (
    ("께서", SOURCE),
    ("에게", TARGET),
    ("으로", TARGET),
    ("하고", CO),
    ("에서", ""),  # where, not whom
    ("이", SOURCE),
    ("가", SOURCE),
    ("은", SOURCE),
    ("는", SOURCE),
    ("에", TARGET),
    ("을", TARGET),
    ("를", TARGET),
    ("로", TARGET),
    ("와", CO),
    ("과", CO),
    ("랑", CO),
)

_KO_TARGET_FORMS = ("방", "대")  # 방한 (visit Korea), 대북 (toward North Korea)

# Korean roles beyond the particles: a comma-marked headline topic ("트럼프, 中에 ... 관세": the
# actor of an elided verb) and an agent that outranks the subject: the giver of what the subject
# receives ("인도가 러시아에서 원유를 사들이고") or the agent of a passive ("중국 해경에 의해 나포돼",
# "우크라이나 해상드론의 공격을 받아").
_TOPIC, _AGENT = "topic", "agent"

_KO_RECEIVE = re.compile(
    r"[^,.]{0,30}?(?:받|인수|들여|사들|수입|도입|구매|구입)|\s*(?:추방|강제\s?송환|송환)[된돼되]"
)

_KO_ATTACKED = re.compile(
    r"\s+(?:\S+\s+){0,2}?\S*(?:공격|위협|침공|도발|보복|제재|압박|폭격|포격|습격|나포|물대포|추적)[을를]\s*(?:당|받|맞)"
)

_KO_BY = re.compile(r"\s*의(?:해|한)")  # "X에 의해", "X에 의한 납치"
# "북한 해킹조직 라자루스와 안다리엘, 김수키에 의해": the first of a list of agents
_KO_LISTED_AGENT = re.compile(r"\s+(?:[^\s,…\"]+,?\s+){0,2}[^\s,…\"]+?(?:에\s?의해|에\s?의한|로부터)")

_KO_PROTESTED = re.compile(
    r"\s+(?:[^\s.,]*[^\s.,은는이가]\s+){0,3}?[^\s.,]*(?:[을를]|에(?:\s*대해)?)\s+(?:[^\s.,]+\s+){0,3}?"
    r"[^\s.,]*(?:규탄|비난|비판|항의|규정하|불만|반발)"
)

_KO_ACCORDING = re.compile(r"\s*따르면")
# "미국 정부 관계자를 인용해": whom a report cites, not whom it is done to
_KO_CITING = re.compile(r"\s*인용(?:해|하여|한|했)")
# A defeat in sport: the country after "에" won ("日에 무릎", "대만에 3-6 역전패", "일본에 졌다").
_KO_LOST_TO = re.compile(
    r"\s*(?:[0-9]+\s?[-:대]\s?[0-9]+\s?(?:로|으로)?\s*)?(?:또\s+)?"
    r"(?:무릎|역전패|완패|석패|패배|패했|패하|졌|지고|덜미|발목|일격)"
)
# A delimiter after a particle ("4개국에서만 받기로", "미국에도"): the particle still speaks.
_KO_DELIMITERS = ("만", "도", "까지", "조차", "마저")

_KO_TOGETHER = re.compile(r"\s*(?:함께|나란히|같이|더불어)")
# "Y와 ... 협정을 맺고", "Y와 양해각서를 체결했다", "美와 ... 연장 합의": an agreement both sign;
# not a meeting first ("Y와 정상회담을 갖고 ... 합의했다" keeps the meeting's direction), nor an
# agreement that only names another act's ground ("필리핀과 맺은 협정에 따라 ... 보냈다").
_KO_AGREED_WITH = re.compile(
    r"(?:(?!회담|만나|만났|회동|통화|면담|접견|맺은|체결한|서명한|합의한)[^.…\"]){0,40}?"
    r"(?:협정|협약|양해각서|MOU|의향서|자매결연|공동선언|공동성명|조약|합의|서명|체결|맺)(?!은\s|한\s|된\s)"
)

# "Y군과 교전을 벌였다", "Y와 충돌했다": a fight both sides wage, like "clashed with" (not "Y를
# 상대로 교전", where Y is the target).
_KO_FOUGHT_WITH = re.compile(
    r"\s*(?:\S+\s+){0,2}?(?:처음으로\s*|첫\s*)?(?:교전|충돌|격돌|총격전|무력\s*충돌)"
)

_KO_PASSIVE_AFTER = re.compile(
    r"\s*(?:\S+\s+)?\S*?(?:나포|체포|구금|억류|격추|피격|공격|추방|제재|폭격|포격|추적|생포)(?:됐|되|돼|당)"
)

_KO_MEDIATE = re.compile(
    r"(?:\s+(?:대통령|총리|정부|국왕|측|외교부))?(?:의|이|가)?\s*(?:중재|주선)(?:로|하에|\s*아래|에\s*따라|한|해)"
)

_KO_CREDIT = re.compile(r"(?:\s+[\uac00-\ud7a3]{1,6})?\s*[\"'\u201c\u2018]")

# Imports follow the goods (as "bought ... from X" does): "인도의 러시아산 원유 수입", "中, 日 수산물
# 수입 중단" make the goods' country the source.
_KO_IMPORT_NOUNS = "수입|구매|구입|도입"
_KO_IMPORT_WORD = re.compile(rf"(?:{_KO_IMPORT_NOUNS}|사들)")
# The same word as a verb ("수입해 온", "사들인"): a sanction after it is another act, not a ban.
_KO_IMPORT_VERB = re.compile(rf"(?:{_KO_IMPORT_NOUNS})(?:해|한|하|했)|사들")
# The importer named right after the clause that imports ("이란산 원유를 수입해 온 중국 정유사").
_KO_IMPORTER_AFTER = re.compile(
    rf"[산제]?\s[^.,…\"]{{0,30}}?(?:{_KO_IMPORT_NOUNS}|사들)(?:\S*(?:한|온|인|는|던)|\S*\s(?:온|오던|왔던))\s+"
)

_KO_IMPORT_BAN = re.compile(r"[^.,…]{0,14}?(?:중단|금지|규제|제한|금수|제재|통제|차단|관세)")

_KO_NOT_GOODS = ("정부", "당국", "기업", "업체", "측", "은행")
# A list item that is an actor, not goods ("미국산 LNG와 한국 정부가"): the list stops there.
_KO_NOT_GOODS_LIST = re.compile(rf"(?:{'|'.join((*_KO_NOT_GOODS, '대통령', '총리'))})(?:와|과|,)$")

# A place named before a visit noun is where the visit goes ("영국 국빈 방문과 프랑스 순방에",
# "평양 방문길에"); "방문단" (a delegation) is not a visit.
_KO_VISIT = re.compile(
    r"(?:\s*(?:국빈|공식|실무|첫|단독|깜짝|비공개))*\s*(?:방문|순방)(?=[과와을를에은는이길중했한]|[^\uac00-\ud7a3]|$)"
)

# (a connective 자 only after a verb's stem: 근로자, 피의자, 관계자 are nouns)
_KO_VERB_END = re.compile(
    r"(?:다|며|고|서|면|(?<=[하되지리이치오나내르키습])자|해|돼|된|한|던|는데|지만|려고)$"
)

_KO_HANGUL_TAIL = re.compile(r"([\uac00-\ud7a3]+)[^\uac00-\ud7a3]*$")

_KO_QUOTES = "'\"\u2018\u2019\u201c\u201d)]》」』"

# A reported clause ends in a quotative ("...발사했다고 밝혔다", "...보내겠다며", "...파견했다는
# 사실을") or "...한 데 대해"; after demanding, warning and accusing the speaker acts on its actor.
_KO_REPORTED_END = re.compile(
    r"[\uac00-\ud7a3](?:다고|라고|냐고|자고|다며|라며|다면서|다는)(?=[\s,.]|$)|데\s*대해"
    r"|(?:(?<=[\uac00-\ud7a3]\s)것을|(?<=[\uac00-\ud7a3])도록)(?=\s*(?:\S+\s+)?(?:촉구|요구|요청|권고|주문|압박))"
    r"|(?<=[\uac00-\ud7a3]\s)것으로(?=\s*(?:\S+\s+)?(?:파악|보|알려|전해|추정|확인|분석|평가|나타났|드러났|조사))"
)

_KO_SAID = re.compile(r"\s*(?:밝혔|말했|발표했|보도했|전했|주장했|확인했|알렸|설명했)")

_KO_DEMAND = re.compile(
    r"비난|비판|규탄|경고|요구|촉구|항의|위협|반발|불만|반대|철회|유감|압박|엄포|협박|책임|일축|반박|거부|우려|실망"
)

# A headline that quotes its speaker: '中 외교부 "日 총리, 발언 철회하라"', '한미 외교장관 통화: "..."'.
_KO_QUOTE_OPEN = re.compile(r"(?:\s+[\uac00-\ud7a3A-Za-z·]{1,8}){0,2}\s*:?\s*[\"\u201c']")

_KO_QUOTE_CLOSE = re.compile(r"[\"\u201d']")

# What makes a quote a demand or a warning besides the demanding verbs: an imperative, "must", a
# threat's condition ("...지원하면 파탄").
_KO_QUOTE_DEMAND = re.compile(
    r"하라|말라|해야|하면|되면|[라아어]야\s*(?:한다|할)|[\uac00-\ud7a3]야(?=[\s…\"'\u201d]|$)|대가를\s?치르|응징|각오|"
    # an accusation in the speaker's quote is its own act: "美 반도체 수출통제는 일방적 괴롭힘"
    r"괴롭힘|도발|침략|망동|만행|횡포|패권|책동|불법|" + _KO_DEMAND.pattern
)

# Where a clause ends and the next begins: "발사하자", "확인되자", "늘었지만", "벌였으나", "하면서"
# (nouns such as 투자, 기자, 관계자 end in 자 too: only after a verb's stem).
_KO_CLAUSE_END = re.compile(
    r"(?<=[하되지리이치오나내르키습])자(?=[\s,])|(?<=[\uac00-\ud7a3])(?:면서|는데도?|지만|으나)(?=[\s,])"
)

# What may precede a headline's topic: tags ("[속보]", "[단독]", "(종합)", "【워싱턴=뉴시스】"),
# an opening quote and spaces ("[단독] \"北, 러시아에 ... 이전\"").
_KO_HEADLINE_LEAD = re.compile(
    r"(?:\s|\[[^\]]{0,12}\]|【[^】]{0,24}】|\([^)]{0,12}\)|[\"'\u201c\u2018「『《<])*"
)

# A middle dot between two names ("英·佛"), and a dot or a hyphen ("미·필리핀", "한-필리핀").
_KO_DOT_GAP = re.compile(r"\s?[\u00b7\u318d\u30fb]\s?")
_KO_DOT_OR_HYPHEN_GAP = re.compile(r"\s?[\u00b7\u318d\u30fb-]\s?")

# What joins conjoined countries: "한국과 미국은", "케냐, 탄자니아 정상과", "印·中,", "韓日", "한-미".
_KO_JOINED = re.compile(r"(?:[와과]|및|[\s,·ㆍ・、-])*")

_KO_SELF = re.compile(r"자국(?!민)")
