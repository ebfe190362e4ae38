"""The words the English direction reader keys on: prepositions, verbs and nouns by the role they
give a country (spaCy runs without its lemmatizer, so verbs are listed in their word forms).

Kept apart from newsmodel.countries.direction so the reader's logic reads on one screen and a
linguist can extend a list without touching it.
"""

from __future__ import annotations

# "with" is a target as event coding reads it ("X closed its border with Y": X -> Y); only
# conjoined actors and "between" leave a pair unordered.
_TARGET_PREPS = frozenset(
    [
        "to",
        "against",
        "on",
        "upon",
        "at",
        "into",
        "onto",
        "toward",
        "towards",
        "from",
        "over",
        "in",
        "inside",
        "across",
        "off",
        "for",
        "with",
    ]
)

# Places near a country: a target only when the country itself is the object ("fired missiles near
# Taiwan"), not when it modifies a place ("shot down a jet near the Syrian border").
_NEAR_PREPS = frozenset({"near", "around"})

_CO_PREPS = frozenset({"between", "alongside", "among"})

# Verbs of buying: a state's demonym on the goods names the seller ("India bought Russian oil").
_BUY_VERBS = frozenset(
    [
        "buy",
        "buys",
        "bought",
        "buying",
        "purchase",
        "purchases",
        "purchased",
        "purchasing",
        "import",
        "imports",
        "imported",
        "importing",
        # procurement: "will acquire submarines from the US" (not "chose": "chose Warsaw for his
        # first trip" is a visit)
        "acquire",
        "acquires",
        "acquired",
        "acquiring",
        "procure",
        "procures",
        "procured",
        "procuring",
    ]
)

# Verbs whose subject is the recipient when a "from" names the giver: "Ukraine received another
# Patriot system from Germany" (Germany -> Ukraine); "Macron received Putin" stays Macron -> Putin.
# (Word forms: the parser runs without its lemmatizer.) Buying is receiving: the goods come from
# the seller ("Turkey buys gas from Russia": RUS -> TUR).
_RECEIVE_VERBS = (
    frozenset(
        [
            "receive",
            "receives",
            "received",
            "receiving",
            "get",
            "gets",
            "got",
            "gotten",
            "getting",
            "obtain",
            "obtains",
            "obtained",
            "obtaining",
            "accept",
            "accepts",
            "accepted",
            "accepting",
            "win",
            "wins",
            "won",
            "winning",
            "secure",
            "secures",
            "secured",
            "securing",
            # criticism and pressure come from the critic ("Japan faced pressure from Washington");
            # not "drew": "X's harassment of Y drew protests from Y" is coded as X's act
            "face",
            "faces",
            "faced",
            "facing",
        ]
    )
    | _BUY_VERBS
)

# Event nouns of buying: their "of"/"from" object is the seller and their possessor the buyer
# ("India's imports of Russian crude", "purchases from Iraq": RUS -> IND, IRQ -> IND).
_BUY_NOUNS = frozenset(
    ["import", "imports", "purchase", "purchases", "buying", "acquisition", "acquisitions"]
)

# Event nouns whose "from" object is their author ("criticism from U.S. lawmakers", "pressure from
# Washington"), as "by" is.
_FROM_AGENT_NOUNS = frozenset(
    [
        "criticism",
        "pressure",
        "scrutiny",
        "condemnation",
        "protest",
        "protests",
        "warning",
        "warnings",
        "threat",
        "threats",
        "attack",
        "attacks",
        "support",
        "aid",
        "assistance",
        "help",
        "backing",
        "retaliation",
        "interference",
        "opposition",
        "objections",
        "complaints",
        "demands",
        "invitation",
        "rebuke",
        "rebukes",
        "fire",
        "outrage",
        "anger",
    ]
)

# Nouns for armed forces and arms: the state that modifies them is the actor even as the "of"
# object of an event noun ("the deployment of North Korean troops against Ukraine").
# Objects of "received" that are people, not goods: "received a Ukrainian delegation" is a host's act.
_PERSON_NOUNS = frozenset(
    [
        "president",
        "prime",
        "minister",
        "premier",
        "envoy",
        "envoys",
        "delegation",
        "delegations",
        "leader",
        "leaders",
        "counterpart",
        "ambassador",
        "ambassadors",
        "official",
        "officials",
        "team",
        "visitors",
        "guests",
        "king",
        "queen",
        "chancellor",
    ]
)

_FORCE_NOUNS = frozenset(
    [
        "troops",
        "soldiers",
        "forces",
        "army",
        "military",
        "navy",
        "warships",
        "warship",
        "jets",
        "aircraft",
        "drones",
        "missiles",
        "missile",
        "units",
        "hackers",
        "spies",
        "vessels",
        "ships",
        "submarines",
        "bombers",
        "fighters",
        "artillery",
    ]
)

# Verbs whose object, not subject, acts in the infinitive below: "X urged Y to rein in Z"; with any
# other verb the subject acts ("X resumed broadcasts to retaliate against Y"). Word stems.
_OBJECT_CONTROL = (
    "urg",
    "ask",
    "press",
    "tell",
    "told",
    "forc",
    "persuad",
    "invit",
    "allow",
    "push",
    "encourag",
    "order",
    "warn",
    "help",
    "enabl",
    "compel",
    "advis",
    "request",
    "prompt",
    "permit",
    "call",
)

# Verbs of saying: the speaker reports what the actor of the reported clause did, to the
# speaker's country as the gold files code it ("Taiwan says China sent 70 warplanes ...": CHN -> TWN;
# "Vietnamese fishermen said a Chinese vessel rammed their boat": CHN -> VNM).
_SPEECH_VERBS = frozenset(
    [
        "say",
        "says",
        "said",
        "saying",
        "claim",
        "claims",
        "claimed",
        "claiming",
        "allege",
        "alleges",
        "alleged",
        "alleging",
        "charge",
        "charges",
        "charged",
        "report",
        "reports",
        "reported",
        "confirm",
        "confirms",
        "confirmed",
        "complain",
        "complains",
        "complained",
    ]
)

# Verbs of demanding and warning: the speaker acts on the actor of the clause ("South Korea demanded
# that Japan acknowledge ...": KOR -> JPN), as with "X urged Y to ...".
_DEMAND_VERBS = frozenset(
    [
        "demand",
        "demands",
        "demanded",
        "demanding",
        "insist",
        "insists",
        "insisted",
        "urge",
        "urges",
        "urged",
        "request",
        "requests",
        "requested",
        "warn",
        "warns",
        "warned",
    ]
)

# Verbs of protest: their subject acts on whoever did what they protest, named by "by" ("denounced
# the drills by the US", "opposes the sanctions imposed by the U.S."). Word forms.
_PROTEST_VERBS = frozenset(
    f"{stem}{end}"
    for stem, ends in (
        ("condemn", ("", "s", "ed", "ing")),
        ("denounce", ("", "s", "d")),
        ("oppose", ("", "s", "d")),
        ("criticize", ("", "s", "d")),
        ("criticise", ("", "s", "d")),
        ("protest", ("", "s", "ed", "ing")),
        ("reject", ("", "s", "ed", "ing")),
        ("deplore", ("", "s", "d")),
        ("slam", ("", "s", "med", "ming")),
        ("blast", ("", "s", "ed", "ing")),
    )
    for end in ends
) | {"denouncing", "opposing", "criticizing", "criticising", "decried", "decry", "decries", "deploring"}

# A mediator or host acts on the parties it brings together (CAMEO 043, mediate): "under a deal
# brokered by China", "at talks hosted by Malaysia".
_MEDIATE_VERBS = frozenset({"brokered", "mediated", "hosted", "facilitated", "convened"})

# An order is a purchase: "signed a contract for 48 jets from Türkiye", "placed an order for 12
# frigates from Italy" (the supplier acts on the buyer, as with "bought").
_DEAL_NOUNS = frozenset({"contract", "contracts", "order", "orders", "deal", "deals"})

# Relations both sides hold: "Moscow's military cooperation with Pyongyang", "its trade with
# Russia" leave the pair unordered (the preposition "with" after them is not a target). Not a
# meeting: "Lee's first summit with Trump" orders them as "Lee met Trump" does.
_MUTUAL_NOUNS = frozenset(
    {
        "cooperation",
        "ties",
        "relations",
        "relationship",
        "partnership",
        "alliance",
        "trade",
        "treaty",
        "pact",
        "rapprochement",
        "friendship",
        "collaboration",
        "coordination",
    }
)
# Gatherings: a place after "in"/"at" says where they happen ("the summit in Seoul"), no target.
_GATHERING_NOUNS = frozenset(
    {
        "summit",
        "talks",
        "meeting",
        "meetings",
        "conference",
        "negotiations",
        "forum",
        "session",
        "ceremony",
        "gathering",
        "consultations",
        "dialogue",
        "round",
    }
)

_RELATIVE = frozenset({"which", "who", "whom", "that", "whose"})

# Verbs that move people or arms: the state whose troops are moved is the actor even when the
# troops are the passive subject ("North Korean troops were deployed to Russia").
_DEPLOY_VERBS = frozenset(
    [
        "deployed",
        "redeployed",
        "sent",
        "dispatched",
        "stationed",
        "moved",
        "transferred",
        "rushed",
        "airlifted",
    ]
)

_BE = frozenset({"is", "are", "was", "were", "be", "been", "being"})

# Fighting "with" someone is mutual, as fighting side by side is ("Khmer Rouge troops clashed with
# Vietnamese units", "exchanged fire with"): "with" names the other side, not a target.
_CLASH_VERBS = frozenset(
    {
        "clash",
        "clashed",
        "clashes",
        "clashing",
        "skirmish",
        "skirmished",
        "skirmishing",
        "scuffled",
        "brawled",
    }
)
_EXCHANGED_OBJECTS = frozenset({"fire", "gunfire", "shots", "blows", "artillery"})

_NOUN_TARGET_PREPS = _TARGET_PREPS | {"of"}

_CLIMB = frozenset({"poss", "compound", "amod", "nmod", "appos", "nummod", "npadvmod", "case"})

# Lower clauses that keep the upper clause's actor: "X threatened to attack Y", "X crossed the
# border to help Y", "X condemned and sanctioned Y"; and "X said it would ..." (a pronoun subject).
_CLAUSE_CHAIN = frozenset({"xcomp", "conj", "advcl", "ccomp"})

_SELF_PRONOUNS = frozenset({"it", "they", "he", "she", "we"})

_MOVE_STEMS = ("extradit", "deport", "expel", "export", "shipp", "shipment", "deliver", "suppl", "transfer",
               "flight", "pipe", "repatriat", "sen", "fl", "carr")  # fmt: skip

# Verbs that stage an operation; a participle under their object says where it aims: "launched
# drills encircling Taiwan", "began drills in six zones encircling Taiwan" (not "condemned drills
# encircling Taiwan": the condemner does not drill). Word forms (no lemmatizer).
_STAGE_VERBS = frozenset(
    f"{stem}{end}"
    for stem, ends in (
        ("launch", ("", "es", "ed", "ing")),
        ("start", ("", "s", "ed", "ing")),
        ("stage", ("", "s", "d")),
        ("conduct", ("", "s", "ed", "ing")),
        ("hold", ("", "s", "ing")),
        ("deploy", ("", "s", "ed", "ing")),
        ("dispatch", ("", "es", "ed", "ing")),
        ("fire", ("", "s", "d")),
    )
    for end in ends
) | {
    "began",
    "begin",
    "begins",
    "begun",
    "beginning",
    "held",
    "sent",
    "send",
    "sends",
    "sending",
    "firing",
    "staging",
}

# Nouns that sum up the clause they stand beside ("..., a move Beijing condemned") and the verbs
# of the reaction they carry: the reactor acts on that clause's actor.
_SUMMARY_NOUNS = frozenset(
    [
        "move",
        "step",
        "decision",
        "request",
        "plan",
        "measure",
        "action",
        "proposal",
        "deal",
        "sale",
        "remark",
        "trip",
        "visit",
    ]
)

# "..., a trip that drew sharp rebukes from Kyiv": the reaction named as a noun, its author after "from"
_DREW_VERBS = frozenset(
    ["drew", "drawn", "drawing", "prompted", "sparked", "triggered", "provoked", "angered"]
)

_REACTION_VERBS = _PROTEST_VERBS | frozenset(
    ["pushed", "welcomed", "praised", "resisted", "backed", "supported", "sought", "requested", "hailed"]
)

# What a country owns that another's act can hit: "Chinese ships fired water cannon at its supply boat".
_OWN_NOUNS = frozenset(
    [
        "territory",
        "airspace",
        "waters",
        "border",
        "coast",
        "vessel",
        "vessels",
        "boat",
        "boats",
        "ship",
        "ships",
        "embassy",
        "consulate",
        "citizens",
        "nationals",
        "diplomats",
        "fishermen",
        "island",
        "islands",
    ]
)
