"""Coverage of the gazetteer and the rules around it: leaders by date, historical states, misspellings,
compound adjectives, venues, codes beyond ISO, the Wikidata refresh, and direction."""

from __future__ import annotations

import csv
import datetime as dt
import http.server
import json
import random
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pycountry
import pytest

from newsmodel.countries import CountryDetector, get_detector
from newsmodel.countries.direction import get_direction_reader
from newsmodel.countries.gazetteer import EXTRA_CODES, load_gazetteer, load_leaders
from newsmodel.countries.refresh import fetch, merge, parse_results
from newsmodel.errors import ConfigError

FIXTURE = Path(__file__).parent / "data" / "wikidata_leaders_response.json"
FOCUS_AND_G20 = [
    "KOR",
    "PRK",
    "USA",
    "CHN",
    "JPN",
    "IND",
    "RUS",
    "ARG",
    "AUS",
    "BRA",
    "CAN",
    "FRA",
    "DEU",
    "IDN",
    "ITA",
    "MEX",
    "SAU",
    "ZAF",
    "TUR",
    "GBR",
]


def _leader_rows() -> list[dict[str, str]]:
    text = resources.files("newsmodel.countries").joinpath("data/leaders.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_iso_country_has_a_name_and_every_state_a_demonym_or_capital() -> None:
    table = load_gazetteer()
    named = {c for entries in table.values() for e in entries for c in e.iso3}
    assert {c.alpha_3 for c in pycountry.countries} <= named
    assert set(EXTRA_CODES) <= named
    un_members = ["BDI", "BTN", "CAF", "GAB", "GIN", "LBR", "MLT", "MDG", "SLE", "TGO", "TTO", "WSM"]
    for code in un_members:
        kinds = {e.kind for entries in table.values() for e in entries if code in e.iso3}
        assert kinds & {"demonym", "metonym"}, code


def test_leader_table_is_complete_for_focus_and_g20_since_1950() -> None:
    rows = _leader_rows()
    for code in FOCUS_AND_G20:
        spans = [
            (dt.date.fromisoformat(r["start"]), dt.date.fromisoformat(r["end"]) if r["end"] else dt.date.max)
            for r in rows
            if r["iso3"] == code
        ]
        missing = [y for y in range(1950, 2026) if not any(s <= dt.date(y, 7, 1) <= e for s, e in spans)]
        assert not missing, (code, missing)
    for r in rows:
        assert r["role"] in ("S", "G", "L") and r["alone"] in ("0", "1"), r
        if r["end"]:
            assert r["start"] <= r["end"], r
    assert len(load_leaders()) > len(rows)  # spellings, surnames, titles and Korean names


@pytest.mark.parametrize(
    ("text", "date", "expected"),
    [
        ("Khrushchev visited Beijing.", dt.date(1959, 9, 30), {"RUS", "CHN"}),
        ("President Carter met the Japanese premier.", dt.date(1978, 5, 1), {"USA", "JPN"}),
        ("President Carter met the Japanese premier.", dt.date(2024, 5, 1), {"JPN"}),  # long out of office
        ("Mr Trump spoke.", dt.date(1988, 1, 1), set()),  # a businessman then: not the state
        ("Donald Trump spoke.", None, {"USA"}),  # no date: plausible
        ("President Kim arrived.", dt.date(1993, 6, 1), set()),  # Kim Young-sam or Kim Il Sung: says neither
        ("Premier Zhou welcomed Nixon.", dt.date(1972, 2, 21), {"CHN", "USA"}),
        ("East Germany protested.", dt.date(1970, 1, 1), {"DDR"}),
        ("East Germany protested.", dt.date(2010, 1, 1), {"DEU"}),  # the state is gone: Germany's east
        ("The Soviet Union and Zaire signed.", dt.date(1980, 1, 1), {"RUS", "COD"}),
        # a retrospective names the leaders and states of the time it looks back to
        ("Fifty years ago, President Carter met the Japanese premier.", dt.date(2027, 5, 1), {"USA", "JPN"}),
        ("In 1985 East Germany protested.", dt.date(2020, 1, 1), {"DDR"}),
        ("Forty years after Zaire was renamed, Kinshasa celebrated.", dt.date(2011, 5, 1), {"COD"}),
    ],
)
def test_leaders_and_historical_states_by_article_date(
    text: str, date: dt.date | None, expected: set[str]
) -> None:
    assert set(get_detector().countries(text, date=date)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Phillipines protested.", {"PHL"}),
        ("Troops left Afganistan.", {"AFG"}),
        ("Saudia Arabia cut ties.", {"SAU"}),
        ("Herman Cain spoke in Iowa.", set()),  # a name one letter from "German"
        ("Susan Rice spoke.", set()),  # too short to guess
        ("Officials in Indiana met.", set()),  # a real word near "Indian"
        ("Marian Anderson sang.", set()),
    ],
)
def test_misspellings_with_a_precision_guard(text: str, expected: set[str]) -> None:
    assert set(get_detector().countries(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A Korean-American author won the prize.", set()),
        ("The Korean-American alliance held.", {"KOR", "USA"}),
        ("An Indian-born surgeon and a Mexican-style restaurant.", set()),
        ("Moscow, Idaho, built a library.", set()),
        ("Jordan Henderson scored.", set()),
        ("Jordan Valley farmers and Chad Smith.", set()),
        ("Chad President Deby met Sudan.", {"TCD", "SDN"}),
        ("Indo-Pakistani talks stalled.", {"IND", "PAK"}),
        ("The Franco-German brigade paraded.", {"FRA", "DEU"}),
        ("Ayub Khan and Shastri signed the Tashkent declaration.", {"PAK", "IND"}),
        # firms named after a state, and where a firm sits: no actor; state organs still count
        ("Korea Electric and Japan Airlines posted losses.", set()),
        ("Saudi Aramco and Air China signed a supply deal.", set()),
        ("The Bank of Japan and the Federal Reserve held rates.", {"JPN", "USA"}),
        ("Japan Air Self-Defense Force jets scrambled.", {"JPN"}),
        # organs and epithets of states
        ("The PLA and the Self-Defense Forces shadowed each other.", {"CHN", "JPN"}),
        ("The Zionist regime struck targets named by the ISI.", {"ISR", "PAK"}),
    ],
)
def test_compound_and_name_guards(text: str, expected: set[str]) -> None:
    assert set(get_detector().countries(text, date=dt.date(1966, 1, 10))) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Brazil beat Croatia in the World Cup quarter-final in Doha.",
        "Kenya and Ethiopia exchanged prisoners under the deal reached in Nairobi.",
        "Chile edged Peru on the last day of the Tokyo Olympics.",
        "Ghana's president met his Nigerian counterpart at the AU summit in Addis Ababa, Ethiopia.",
        "브라질과 아르헨티나가 칠레 산티아고에서 무역 협상을 벌였다.",
        # round 13: a trip to a gathering, "sat down in", a handshake's place
        "The leaders of Peru and Chile flew to Madrid for a NATO summit.",
        "When Biden and Lula finally sat down in Ottawa, they agreed to keep talking.",
        "트럼프 대통령과 김정은 위원장이 싱가포르에서 처음 악수를 나눴다.",
        # round 14: a venue named before "talks", a long Korean place phrase, a coast, an
        # appositive country after a city
        "The Istanbul talks between the Russian and Ukrainian delegations lasted an hour.",
        "러시아와 우크라이나 대표단이 튀르키예 이스탄불의 돌마바흐체 궁전에서 협상을 벌였다.",
        "The Indian Navy rescued Pakistani crew boarded by pirates off the east coast of Somalia.",
        "Xi Jinping met Donald Trump in Busan, the Republic of Korea, on Thursday.",
        # round 17: a Korean city naming the summit it hosted, an airport a swap used
        '[속보] 하노이 북미 정상회담 결렬…트럼프 "합의문 서명 안 해"',
        "북미 대화는 2019년 하노이 '노딜' 이후 교착 상태다.",
        "Russia freed Griner in a swap with the United States on the tarmac at Abu Dhabi airport.",
    ],
)
def test_event_venues_form_no_pair(text: str) -> None:
    detector = get_detector()
    assert len(detector.pairs(detector.detect(text))) == 1


@pytest.mark.parametrize(
    "text",
    [
        # round 15: arriving in a country for a summit is a visit, a strike on a city a target
        "North Korea fired missiles a day before Trump arrived in South Korea for the Apec summit.",
        "Israel struck a compound in Doha where Hamas leaders had gathered to discuss a truce.",
        # round 18: an airport struck is no venue (an airport a swap used is, see above)
        "A U.S. drone strike at Baghdad airport killed Qassem Soleimani, the commander of Iran's Quds Force.",
    ],
)
def test_arrivals_and_strikes_are_not_venues(text: str) -> None:
    detector = get_detector()
    assert len(detector.pairs(detector.detect(text))) == 3


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # datelines and bylines are where the story was filed
        ("(도쿄=연합뉴스) 박영희 특파원 = 중국과 필리핀이 남중국해 문제를 논의했다.", {"CHN-PHL"}),
        ("한중일 외교장관이 부산에서 회의를 열었다.", {"CHN-JPN", "CHN-KOR", "JPN-KOR"}),
        ("북측은 남측의 제안을 거부했다.", {"PRK>KOR"}),
        ("건물 남측 출입구가 폐쇄됐다.", set()),
        ("조선 국방성은 미국의 훈련을 비난했다.", {"PRK>USA"}),
        ("조선소 수주가 늘었다.", set()),
        # a bare home organ is Korea's; after another country's name it is that country's
        ("합참은 북한이 동해상으로 탄도미사일을 발사했다고 밝혔다.", {"PRK>KOR"}),
        ("중국 외교부는 일본의 조치에 항의했다.", {"CHN>JPN"}),
        ("시민들이 중국어 학원과 중국집 앞에 줄을 섰다.", set()),
        ("퇴근길 러시아워에 교통이 막혔다.", set()),
        ("대중교통 이용객이 늘었다.", set()),
        # the particle on the head noun, a passive agent, a giver, a headline's topic
        ("일본 정부는 한국에 수출규제 해제를 통보했다.", {"JPN>KOR"}),
        ("우크라이나 해군 함정이 러시아군의 공격을 받아 침몰했다.", {"RUS>UKR"}),
        ("필리핀은 미국으로부터 전투기를 인수했다.", {"USA>PHL"}),
        ("트럼프, 中에 추가 관세 부과", {"USA>CHN"}),
        # every country's Korean name (pycountry), North Korean forms, hyphen and list joins
        ("이재명 대통령은 케냐와 탄자니아 정상을 잇달아 만났다.", {"KEN-TZA", "KOR>KEN", "KOR>TZA"}),
        ("노동신문은 남조선이 로씨야를 겨냥한 제재에 가담했다고 비난했다.", {"KOR>RUS"}),
        ("한-미 양국 정상은 동맹 강화에 합의했다.", {"KOR-USA"}),
        ("일본식 라멘집과 중국 음식점이 문을 열었다.", set()),
        ("수단과 방법을 가리지 않았다.", set()),
    ],
)
def test_korean_forms_and_directions(text: str, labels: set[str]) -> None:
    mentions = get_detector().detect(text, date=dt.date(2025, 3, 1))
    assert {p.label for p in get_direction_reader().read(text, mentions)} == labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Enrolment in Spanish and Italian language courses has doubled in Lisbon.", ["PRT"]),
        ("Japanese quail are raised on farms near Nairobi.", ["KEN"]),
        ("Guinea fowl prices rose in Accra.", ["GHA"]),
        ("Kenyan runners won the Tokyo Marathon.", ["KEN"]),
        ("The Treasury Department sanctioned three Iranian firms.", ["IRN", "USA"]),
        ("OFAC designated a Cambodian tycoon.", ["KHM", "USA"]),
        # the maker's country counts ("Iranian-made", like X산); a sea named after a city does not
        ("Iranian-made drones were seen at a Sudanese air base.", ["IRN", "SDN"]),
        ("Somalia protested a naval base deal on the Gulf of Aden.", ["SOM"]),
        ("Lebanese mezze was served in Doha.", ["QAT"]),
        # "Brussels" is the EU's seat, not Belgium; a base in "Fort X, Georgia" is the US state
        ("Brussels imposed duties on Chinese electric cars.", ["CHN"]),
        ("Troops based at Fort Stewart, Georgia, will rotate to Poland.", ["POL"]),
        ("Queues formed outside a Korean barbecue restaurant in Lisbon.", ["PRT"]),
        # round 11: a language after "in/into" where speech or text is the topic; newspapers,
        # units and diseases named after a state; a country list with Georgia in it; a war "in X"
        ("The speech was translated into Vietnamese and Thai for delegates in Canberra.", ["AUS"]),
        ("The Times of India and the Korea Herald ran the story about Nepal.", ["NPL"]),
        ("Spot LNG rose to $14 per million British thermal units in Singapore.", ["SGP"]),
        ("Japanese encephalitis cases rose in Assam, India said.", ["IND"]),
        ("Armenia, Georgia and Moldova signed a declaration.", ["ARM", "GEO", "MDA"]),
        (
            "Egypt called for a truce in Sudan at a meeting in Cairo with Kenya and Chad.",
            ["EGY", "KEN", "SDN", "TCD"],
        ),
        # round 12: a currency sign, a city's "-born", events named after a place
        ("Fiji pledged US$2 million to Tonga.", ["FJI", "TON"]),
        ("The Prague-born writer moved to Canada.", ["CAN"]),
        ("The Paris Peace Accords and the Prague Spring were taught in Hanoi.", ["VNM"]),
        # round 14: heritage without a hyphen, KCNA's name, the Taiwan Affairs Office
        ("The Korean American creator of the series won an Emmy in Los Angeles.", []),
        ("The photo was released by North Korea's official Korean Central News Agency.", ["PRK"]),
        ("China's Taiwan Affairs Office slammed the speech.", ["CHN"]),
        # round 17: a wire credit line; "in condemning X" and "abuses in X" are no venues; The
        # Hague as the courts' seat, an international court's seat;
        # Bosnian Serbs; canals; a bank, trials and a continent named after a place
        ("Reporting by Kaori Ueno in Tokyo and Minji Park in Seoul; Editing by Tom Hogue", []),
        (
            "South Korea and Japan joined the United States in condemning North Korea's transfer of "
            "missiles to Russia at a Security Council meeting.",
            ["JPN", "KOR", "PRK", "RUS", "USA"],
        ),
        (
            "The council rejected a motion by Britain and Canada to debate abuses in China's Xinjiang.",
            ["CAN", "CHN", "GBR"],
        ),
        ("The suspect was flown to The Hague after Serbia's government handed him over.", ["SRB"]),
        ("The Hague widened its curbs on chip tool exports to China.", ["CHN", "NLD"]),
        (
            "An arbitral tribunal in The Hague ruled against China, siding with the Philippines.",
            ["CHN", "PHL"],
        ),
        ("The ECOWAS Court of Justice in Abuja ordered Niger's rulers to free Bazoum.", ["NER"]),
        ("Ratko Mladic, the Bosnian Serb wartime commander, was sentenced.", ["BIH"]),
        ("A container ship ran aground in the Suez Canal, halting traffic through the Panama Canal too.", []),
        ("Economists at Bank of America expect the Bank of Korea to hold rates.", ["KOR"]),
        (
            "Japan was ordered to halt whaling in the Antarctic, the first such case since the Tokyo trials.",
            ["JPN"],
        ),
    ],
)
def test_languages_species_events_and_us_organs(text: str, expected: list[str]) -> None:
    assert get_detector().countries(text) == expected


@pytest.mark.parametrize(
    ("text", "date", "expected"),
    [
        ("윤 대통령은 독일을 국빈 방문했다.", dt.date(2023, 4, 1), ["DEU", "KOR"]),
        ("李 대통령, 캐나다 총리와 회담", dt.date(2025, 9, 1), ["CAN", "KOR"]),
        ("露, 우크라 전력망에 미사일 공격", None, ["RUS", "UKR"]),
        ("해경은 베트남 어선을 나포했다.", None, ["KOR", "VNM"]),
        ('북한 미사일 발사…군 "추가 도발 대비"', None, ["KOR", "PRK"]),
        # round 11: more Hanja short forms, regional coast guards and city governments act for
        # Korea; 中 after an activity noun is "during"; a host city's event and a language test
        ("佛·加, 이스라엘에 휴전 촉구…比 외교부도 동참", None, ["CAN", "FRA", "ISR", "PHL"]),
        ("태안해경은 불법조업 베트남 어선을 나포했다.", None, ["KOR", "VNM"]),
        ("대구시와 인도네시아 자카르타주는 교류 협정을 맺었다.", None, ["IDN", "KOR"]),
        ("[포토] 회담 中 악수하는 두 정상…美 국무장관 배석", None, ["USA"]),
        ("도쿄 올림픽에서 케냐 선수가 우승했다.", None, ["KEN"]),
        ("몽골 청년들이 한국어능력시험에 몰렸다.", None, ["MNG"]),
        # round 12: Korean names of historical states (with the year the sentence looks back
        # to), "한-X" before a full name, and 인도네시아 after "한-" is not 인도
        (
            "1964년 서독을 방문한 박정희 대통령은 동독 접경을 둘러봤다.",
            dt.date(2024, 12, 1),
            ["DDR", "DEU", "KOR"],
        ),
        ("1950년 소련제 전차를 앞세운 북한군과 중공군", dt.date(2020, 6, 25), ["CHN", "PRK", "RUS"]),
        ("1973년 월남에서 철수한 한국군, 버마 정부", dt.date(2023, 3, 1), ["KOR", "MMR", "VNM"]),
        ("월남쌈과 중공업, 서독식 교육", dt.date(2023, 3, 1), []),
        ("한-필리핀 FTA와 한-인도네시아 CEPA가 발효됐다.", None, ["IDN", "KOR", "PHL"]),
        ("중·소기업과 일·가정 양립 지원", None, []),
        # round 13: Hanja in dotted chains, 南 in inter-Korean headlines, Hanja region words,
        # a headline's lone 러, the Indo-Pacific, a delivery "within months", 어나
        ("사우디서 美·러 외무장관 회담", None, ["RUS", "SAU", "USA"]),
        ("[자막] 北, 南 향해 오물풍선 살포", None, ["KOR", "PRK"]),
        ('中企 수출 "北美·中東 시장 개척"', None, []),
        ("카타르 중재로 러, 우크라 아동 송환", None, ["QAT", "RUS", "UKR"]),
        ('獨, 우크라에 방공체계 추가 지원…"수개월 내 인도"', None, ["DEU", "UKR"]),
        ("인도·태평양 전략과 러시아어나 아랍어 교육", None, []),
        # round 14: a Hanja surname and title without a space, the embassy channel in Beijing
        ("李대통령-트럼프, 경주서 정상회담", dt.date(2025, 10, 29), ["KOR", "USA"]),
        ("푸틴, 金위원장에 승용차 선물", dt.date(2024, 6, 20), ["PRK", "RUS"]),
        ("일본 정부는 베이징의 대사관 경로를 통해 북한에 항의했다.", None, ["JPN", "PRK"]),
        # round 15: a Hanja leader in a dotted headline, a headline's 軍 or 정부 before a comma,
        # 訪中, the US State Department named bare
        ("尹·바이든 정상회담", dt.date(2024, 11, 16), ["KOR", "USA"]),
        ("軍, 北 도발에 대응사격", None, ["KOR", "PRK"]),
        ("정부, 北 억류 선교사 송환 촉구", None, ["KOR", "PRK"]),
        ("訪中 李대통령, 習과 정상회담", dt.date(2025, 11, 1), ["CHN", "KOR"]),
        ("외교부 장관은 국무장관과 만나 우려를 전달했다.", None, ["KOR", "USA"]),
        # round 17: 북미 before a word of diplomacy is North Korea and the US, before a market North
        # America; a city naming the summit it hosted, a broadcast's live link; 우리 땅, 팀 코리아
        ("현대차·기아의 북미 시장 판매량이 8% 늘었다.", None, []),
        ("싱가포르 연결합니다. 북미 두 정상이 조금 전 공동성명에 서명했습니다.", None, ["PRK", "USA"]),
        ("일본 정부가 방위백서에 우리 땅 독도를 자국 영토라고 담았다.", None, ["JPN", "KOR"]),
        ("체코 정부는 원전 우선협상대상자로 '팀 코리아'를 선정했다.", None, ["CZE", "KOR"]),
    ],
)
def test_korean_short_forms(text: str, date: dt.date | None, expected: list[str]) -> None:
    """Korean copy's own president by surname, 우크라, a bare 해경 and a credited 군 (issue 18)."""
    assert get_detector().countries(text, date=date) == expected


def test_hanja_country_after_dui() -> None:
    """對 ("toward") before a hanja country: "對中 수출 제한" names China."""
    assert get_detector().countries("美, 對中 반도체 수출 제한") == ["CHN", "USA"]


def test_korean_delivery_is_not_india() -> None:
    """인도 is also a delivery (引渡): "전차 인도를 연기", "인도받았다" name no country."""
    detector = get_detector()
    assert detector.countries('美 국무부: "北, 이란에 미사일 추가 인도"') == ["IRN", "PRK", "USA"]
    assert detector.countries("폴란드는 전차 인도를 연기했다.") == ["POL"]
    assert detector.countries("필리핀은 호위함을 인도받았다.") == ["PHL"]
    assert detector.countries("인도는 러시아와 협정을 맺었다.") == ["IND", "RUS"]
    assert detector.countries("부산시는 인도 위에 방치된 킥보드를 견인한다.") == [
        "KOR"
    ]  # the city government
    assert detector.countries("명동의 터키 아이스크림이 인기다.") == []


def test_venue_is_a_mention_but_not_a_pair() -> None:
    detector = get_detector()
    mentions = detector.detect("American and Iranian negotiators resumed talks in Vienna.")
    assert {m.iso3 for m in mentions} == {"USA", "IRN", "AUT"}
    assert {m.iso3 for m in mentions if m.venue} == {"AUT"}
    assert detector.pairs(mentions) == [("IRN", "USA")]


def test_palestinian_actors_and_kosovo_have_their_own_codes() -> None:
    detector = CountryDetector(focus=["PSE", "ISR", "XKX", "SRB"])
    assert detector.countries("Hamas fired rockets from Gaza at Israel.") == ["ISR", "PSE"]
    assert detector.countries("The Palestinian Authority and the PLO met in Ramallah.") == ["PSE"]
    assert detector.countries("Pristina and Belgrade argued.") == ["SRB", "XKX"]


def test_detection_never_crashes_on_any_unicode() -> None:
    rng = random.Random(18)
    alphabet = [chr(c) for c in range(0x20, 0x3000)] + [
        "İ",
        "ß",
        "\u2019",
        "\n",
        "\t",
        "\u00a0",
        "미국",
        "北",
    ]
    detector = get_detector()
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        for m in detector.detect(text + " United  States İstanbul"):
            assert 0 <= m.start < m.end <= len(text) + 25
    assert detector.countries("İSTANBUL and the United\n States") == ["TUR", "USA"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Russia invaded Ukraine.", "RUS>UKR"),
        ("Ukraine was invaded by Russia.", "RUS>UKR"),
        ("Iraq's invasion of Kuwait drew condemnation.", "IRQ>KWT"),
        ("US sanctions on Chinese chipmakers took effect.", "USA>CHN"),
        ("Washington urged Beijing to rein in North Korea.", "USA>CHN"),
        ("France and Germany signed the treaty.", "DEU-FRA"),
        ("Talks between India and China resumed.", "CHN-IND"),
        ("북한이 러시아에 병력을 파견했다.", "PRK>RUS"),
        ("한미 정상이 만났다.", "KOR-USA"),
        # goods follow the seller, criticism comes from the critic, "accuse X of doing" makes X act
        ("Vietnam bought two frigates from India.", "IND>VNM"),
        ("Japan's imports of Australian coal rose.", "AUS>JPN"),
        ("Seoul faced fresh pressure from Washington.", "USA>KOR"),
        ("Manila accused Beijing of sending militia boats to Vietnam.", "CHN>VNM"),
        # a participle under a staged operation's object says where it aims
        ("North Korea staged artillery drills targeting South Korean islands.", "PRK>KOR"),
        ("Iran launched drones targeting Israeli cities.", "IRN>ISR"),
        # procurement follows the goods too; a receiver of a person is the host
        ("Egypt will acquire two frigates from Italy.", "ITA>EGY"),
        ("Romania signed a contract for 54 tanks from the United States.", "USA>ROU"),
        ("Serbia will receive two cargoes of Azerbaijani gas this winter.", "AZE>SRB"),
        ("The Moroccan king received a French delegation in Rabat.", "MAR>FRA"),
        ("Ecuador won its arbitration case against Chevron and Colombia.", "ECU>COL"),
        # a state's moving of people or goods from one to the other; refugees fleeing are not
        ("The fugitive was extradited from Spain to Argentina.", "ESP>ARG"),
        ("Deportation flights from Germany to Afghanistan resumed.", "DEU>AFG"),
        ("Refugees poured from Sudan into Chad.", "SDN-TCD"),
        ("Hungary signed a contract for Swedish Gripen jets.", "SWE>HUN"),
        # a reaction carried by a summary noun acts on the actor of the clause it stands beside
        ("Lithuania let Taiwan open an office in Vilnius, a move Beijing condemned.", "CHN>LTU"),
        ("Norway recognised a Palestinian state, a decision Israel's government criticised.", "ISR>NOR"),
        (
            "Serbia's president visited Minsk on Monday, a trip that drew sharp rebukes from Lithuania.",
            "LTU>SRB",
        ),
        # "its" in a clause reported by one country about another is the speaker's
        ("Vietnam said Chinese ships rammed its fishing boats near the Paracels.", "CHN>VNM"),
        ("Chile placed an order for six submarines from France.", "FRA>CHL"),
        ("Pakistani refiners bought large volumes of Chinese diesel.", "CHN>PAK"),
        ("Turkish President Erdogan received Hungarian Prime Minister Viktor Orban in Ankara.", "TUR>HUN"),
        # protest verbs act on whoever did what they protest; a mediator acts on the parties
        ("France condemned the missile strikes by Iran.", "FRA>IRN"),
        ("Japan opposes the tariffs imposed by the U.S. on Japanese cars.", "JPN>USA"),
        ("Armenia and Azerbaijan agreed to a ceasefire under a deal brokered by Russia.", "RUS>ARM"),
        ("아르메니아와 아제르바이잔은 러시아의 중재로 휴전에 합의했다.", "RUS>AZE"),
        # a Korean headline quoting its speaker: a demand acts on the quote's actor, an intention
        # on the country it names
        ('美 국무부 "이란, 핵시설 사찰 즉시 허용하라"', "USA>IRN"),
        ('[속보] 푸틴 "우크라이나와 협상할 용의 있다"', "RUS>UKR"),
        # a compound naming both leaves them unordered only when nothing else orders them; a live
        # blog's time stamp or a wire label is no part of the sentence
        ("Macron met Scholz in Paris, the latest Franco-German summit.", "FRA>DEU"),
        ("URGENT: INDIA'S MODI TO VISIT MOSCOW NEXT WEEK", "IND>RUS"),
        # a headline's infinitive has the noun before "to" as its subject
        ("Canada to impose tariffs on Mexican steel", "CAN>MEX"),
        ("BRAZILIAN PRESIDENT TO VISIT BEIJING NEXT WEEK", "BRA>CHN"),
        # "its" on a reported clause's subject is the speaker's own body
        ("Manila said its navy had chased away Chinese boats.", "PHL>CHN"),
        # Korean headlines: a tag before the topic, a credit after "…", a first clause before a
        # later compound; imports follow the goods unless banned; a visit noun after a place
        ("[속보] 이란, 이스라엘에 드론 공격 개시", "IRN>ISR"),
        ('北, 동해상으로 탄도미사일 발사…합참 "추가 발사 대비"', "PRK>KOR"),
        ("모디 인도 총리, 모스크바 도착…인·러 정상회담 개최", "IND>RUS"),
        ("튀르키예의 러시아산 가스 수입이 늘었다.", "RUS>TUR"),
        ("中, 호주산 와인 수입 금지", "CHN>AUS"),
        ("한국 대통령은 독일 국빈 방문에 나섰다.", "KOR>DEU"),
        # a bare 정부/군 opening a clause is Korea's; the last clause naming both orders a pair, and
        # across clauses only a protest answers the earlier actor
        ("정부는 호주와의 협정을 연기했다.", "KOR>AUS"),
        # a deporting state acts on the deported; a noun ending in 자 is no clause end
        ("칠레 정부는 페루에서 추방된 자국민을 받아들였다.", "PER>CHL"),
        ("라오스 당국으로부터 송환된 태국인 근로자 30명이 귀국했다.", "LAO>THA"),
        # a headline's credit that protests acts on the headline's actor; a passive with 에; imports
        # from 대X; 자국 in a reported clause is the speaker; "...할 것을 촉구했다" is a demand
        ('中, 대만 포위 훈련…외교부 "깊은 우려"', "KOR>CHN"),
        ("필리핀 어선이 베트남 해경에 나포됐다.", "VNM>PHL"),
        ("산업부는 소재의 대중 수입 의존도가 낮아졌다고 밝혔다.", "CHN>KOR"),
        ("시리아는 자국 공항이 이스라엘에 의해 폭격당했다며 안보리 소집을 요구했다.", "ISR>SYR"),
        ("캐나다는 인도 정부가 수사에 협조할 것을 촉구했다.", "CAN>IND"),
        # whose act a protest names is its target; the country after a genitive is the event's
        # target only; a mediator with a title; water cannon and chases are attacks suffered
        ("쿠바 정부는 미국의 해상 봉쇄를 강력히 규탄했다.", "CUB>USA"),
        ("독일 정부는 이란의 이스라엘 공격을 규탄했다.", "DEU>IRN"),
        ("카타르 국왕의 중재로 에티오피아와 에리트레아는 휴전에 합의했다.", "QAT>ETH"),
        ("베트남 어선이 중국 해경의 물대포를 맞아 파손됐다.", "CHN>VNM"),
        ("폴란드, 한국산 전차 180대 추가 구매", "KOR>POL"),
        ("헝가리의 중국제 버스 수입이 늘었다.", "CHN>HUN"),
        ('이란 외무부 "美, 제재 망상 버려야"', "IRN>USA"),
        ("러시아 병사 2명이 우크라이나군에 생포됐다.", "UKR>RUS"),
        # a tariff on imports is the importer's act; an accusation in a quote is the speaker's
        ("[속보] 美, 멕시코산 수입품에 25% 관세 부과", "USA>MEX"),
        ('中 외교부 "日 방위비 증액은 노골적 도발"', "CHN>JPN"),
        ("베트남은 미국산 항공기 20대를 추가로 사들이기로 했다.", "USA>VNM"),
        # side by side is no act; a bloc is not said to act on another bloc's members; a clause
        # ending "...한 것으로 파악했다" is reported, its reporter unordered to acts between others
        ("시진핑 주석은 푸틴 대통령과 나란히 열병식을 지켜봤다.", "CHN-RUS"),
        ("북중러가 밀착하는 가운데 한미일 공조가 강화됐다.", "CHN-JPN"),
        ("국정원은 북한이 러시아로부터 전투기를 넘겨받은 것으로 파악했다.", "KOR-RUS"),
        ("이란이 드론을 발사하자 정부는 이란을 규탄했다.", "KOR>IRN"),
        ("필리핀이 항의하자 중국은 캐나다를 비난했다.", "CAN-PHL"),
        ("베트남이 어선을 나포하자 태국은 강력히 항의했다.", "THA>VNM"),
        # round 11: an agreement signed with Y is mutual, a report's cited source is no target,
        # a list of agents ("X와 Y에 의해") and "X에 의한", a sport's loser, "에서만 받기로",
        # a dotted headline topic, a relation noun with "with", a gathering's place
        ("충남도는 일본 나가노현과 우호교류 협약을 체결했다.", "JPN-KOR"),
        ("AP는 일본 정부 관계자를 인용해 중국이 대만 주변에서 훈련을 벌였다고 보도했다.", "CHN-JPN"),
        ("정부 전산망이 북한 해킹조직 라자루스와 김수키에 의해 공격당했다고 경찰청이 밝혔다.", "PRK>KOR"),
        ("양국은 북한에 의한 일본인 납치 문제를 논의했다.", "PRK>JPN"),
        ("韓축구, 또 이란에 무릎…아시안컵 탈락", "IRN>KOR"),
        ("튀르키예 정부는 구호 물자를 독일에서만 받기로 했다.", "DEU>TUR"),
        ("英·佛, 우크라 휴전 감시군 파병 검토", "FRA>UKR"),
        ("Seoul's ties with Hanoi deepened after the visit.", "KOR-VNM"),
        ("The Japan-Philippines summit in Manila ended with a defence pact.", "JPN-PHL"),
        # a fight "with" someone is mutual; "against"/"를 상대로" still orders it
        ("Thai troops clashed with Cambodian soldiers near the border temple.", "KHM-THA"),
        ("Indian troops exchanged fire with Pakistani soldiers along the Line of Control.", "IND-PAK"),
        ("Thai troops opened fire on Cambodian soldiers near the border temple.", "THA>KHM"),
        ("중국 해경이 필리핀 선박과 충돌했다.", "CHN-PHL"),
        ("태국군이 캄보디아군과 교전을 벌였다.", "KHM-THA"),
        ("태국군이 캄보디아군을 상대로 교전을 벌였다.", "THA>KHM"),
        # round 17: an amount stands for the goods; made-in goods in a list, or bought by the
        # country named after the buying clause
        ("U.S. tariffs on $34 billion of Chinese imports took effect on Friday.", "USA>CHN"),
        ("China agreed to buy an additional $200 billion of U.S. farm goods.", "USA>CHN"),
        ("한국은 미국산 LNG와 원유 등 에너지를 구매하기로 했다.", "USA>KOR"),
        ("중국은 미국산 농산물과 에너지, 공산품 등을 추가로 구매하기로 했다.", "USA>CHN"),
        ("미국 재무부는 이란산 원유를 수입해 온 중국 정유사를 제재했다.", "IRN>CHN"),
    ],
)
def test_direction_from_the_parse_and_korean_particles(text: str, label: str) -> None:
    pairs = get_direction_reader().read(text, get_detector().detect(text))
    assert label in {p.label for p in pairs}
    assert all(0 < p.confidence <= 1 for p in pairs)


def test_refresh_merges_a_recorded_answer_without_duplicates(tmp_path: Path) -> None:
    rows = parse_results(json.loads(FIXTURE.read_text(encoding="utf-8")))
    # unknown code, Q-number label, no start date and a repeated statement are dropped
    assert [(r.iso3, r.name) for r in rows] == [
        ("EST", "Alar Karis"),
        ("LVA", "Edgars Rinkēvičs"),
        ("USA", "Joe Biden"),
    ]
    table = Path(str(resources.files("newsmodel.countries").joinpath("data/leaders.csv")))
    added, text = merge(table, rows)
    assert added == 2  # Biden is already in the reviewed table
    merged = tmp_path / "leaders.csv"
    merged.write_text(text, encoding="utf-8")
    new = [r for r in csv.DictReader(merged.open(encoding="utf-8")) if r["iso3"] in ("EST", "LVA")]
    assert {(r["name"], r["alone"], r["start"]) for r in new} >= {("Alar Karis", "0", "2021-10-11")}
    with pytest.raises(ConfigError, match=r"results\.bindings"):
        parse_results({"boolean": True})


@pytest.fixture
def sparql_server() -> Iterator[str]:
    """A loopback HTTP server answering like the query service, with the recorded answer."""
    body = FIXTURE.read_bytes()
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            ok = "query=" in self.path and self.headers.get("User-Agent", "").startswith("newsmodel")
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(body if ok else b"{}")

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
    assert seen


def test_refresh_fetches_over_http(sparql_server: str) -> None:
    assert len(parse_results(fetch(sparql_server, timeout_s=5))) == 3
    with pytest.raises(ConfigError, match="Wikidata query failed"):
        fetch("http://127.0.0.1:1/sparql", timeout_s=2)


@pytest.mark.parametrize(
    ("text", "date", "expected"),
    [
        # a former leader by full name, long out of office (obituaries, anniversaries)
        (
            "Jimmy Carter, who died on Sunday at 100, brokered peace between Egypt and Israel.",
            dt.date(2024, 12, 30),
            ["EGY", "ISR", "USA"],
        ),
        ("The representatives of Chiang Kai-shek walked out.", dt.date(2021, 10, 25), ["TWN"]),
        # a year anywhere in the sentence is a time it looks back to ("the 1969 clashes")
        ("Mao feared a Soviet attack after the 1969 clashes.", dt.date(2021, 7, 9), ["CHN", "RUS"]),
        ("On March 19, 1970, Brandt met the premier of East Germany.", dt.date(2020, 3, 19), ["DDR", "DEU"]),
        # a surname alone is not enough without a date: "Nasser Kanaani" is Iran's spokesman
        ("Nasser Kanaani rejected the claims.", dt.date(2023, 5, 1), []),
    ],
)
def test_former_leaders_and_years_looked_back_to(text: str, date: dt.date, expected: list[str]) -> None:
    """Retrospectives and obituaries name the leaders and states of their time (round 12)."""
    assert get_detector().countries(text, date=date) == expected
