"""Identifiers, names and addresses as Kazakh grid companies hold them: valid BINs and IINs, meter ids,
people and firms, and street addresses written inconsistently ("Abai street 12", "ул. Abai 12, кв. 4",
"ABAI ST. 12 / 7")."""

from __future__ import annotations

from random import Random

from registry.validators import bin_check_digit

REGION_PREFIX = {
    "abai": "ABA",
    "akmola": "AKM",
    "aktobe": "AKT",
    "almaty_region": "ALR",
    "atyrau": "ATY",
    "east_kazakhstan": "VKO",
    "jambyl": "ZHM",
    "jetisu": "ZHT",
    "karaganda": "KAR",
    "kostanay": "KOS",
    "kyzylorda": "KZO",
    "mangystau": "MAN",
    "north_kazakhstan": "SKO",
    "pavlodar": "PAV",
    "turkistan": "TUR",
    "ulytau": "ULY",
    "west_kazakhstan": "ZKO",
    "astana": "AST",
    "almaty": "ALM",
    "shymkent": "SHM",
}

OPERATORS = {
    "almaty": "Almaty City Grid",
    "astana": "Astana Power Networks",
    "shymkent": "Shymkent Grid Company",
    "almaty_region": "Almaty Region REC",
    "pavlodar": "Pavlodar Regional Grid",
    "karaganda": "Karaganda Power Networks",
    "east_kazakhstan": "East Grid Company",
    "abai": "Semey Power Networks",
    "akmola": "Akmola REC",
    "jetisu": "Zhetysu Grid",
    "jambyl": "Zhambyl REC",
    "turkistan": "Ontustik Zharyk",
}

TOWNS = {
    "almaty": ["Almaty"],
    "astana": ["Astana"],
    "shymkent": ["Shymkent"],
    "almaty_region": ["Konaev", "Talgar", "Kaskelen", "Esik"],
    "pavlodar": ["Pavlodar", "Ekibastuz", "Aksu"],
    "karaganda": ["Karaganda", "Temirtau", "Shakhtinsk"],
    "east_kazakhstan": ["Ust-Kamenogorsk", "Ridder", "Altai"],
    "abai": ["Semey", "Kurchatov"],
    "akmola": ["Kokshetau", "Stepnogorsk"],
    "jetisu": ["Taldykorgan", "Tekeli"],
    "jambyl": ["Taraz", "Shu"],
    "turkistan": ["Turkistan", "Kentau"],
}
VILLAGES = ["Beskainar", "Otegen batyr", "Zhanaturmys", "Koktal", "Baiserke", "Akshi", "Karasu", "Kyzylzhar"]

STREETS = [
    ("Abai", "avenue"),
    ("Dostyk", "avenue"),
    ("Tole bi", "street"),
    ("Satpayev", "street"),
    ("Zhandosov", "street"),
    ("Rozybakiev", "street"),
    ("Seifullin", "avenue"),
    ("Furmanov", "street"),
    ("Gogol", "street"),
    ("Kabanbay batyr", "street"),
    ("Auezov", "street"),
    ("Baitursynov", "street"),
    ("Bukhar zhyrau", "street"),
    ("Kenesary", "street"),
    ("Turan", "avenue"),
    ("Lomov", "street"),
    ("Toraighyrov", "street"),
    ("Estay", "street"),
    ("Kutuzov", "street"),
    ("Zhibek Zholy", "avenue"),
    ("Raiymbek", "avenue"),
    ("Nauryzbay batyr", "street"),
    ("Makataev", "street"),
    ("Shevchenko", "street"),
    ("Pushkin", "street"),
    ("Zheltoksan", "street"),
    ("Mukanov", "street"),
    ("Sarayshyk", "street"),
    ("Respublika", "avenue"),
    ("Kazybek bi", "street"),
    ("Tauelsizdik", "avenue"),
    ("Industrialnaya", "street"),
    ("Promyshlennaya", "street"),
    ("Zavodskaya", "street"),
]
MICRODISTRICTS = ["Aksay-4", "Samal-2", "Orbita-3", "Zhetysu-1", "Almagul", "Kalkaman-2", "Nursat", "Vostok"]

TYPE_WORDS = {
    "street": ["street", "st.", "St", "str.", "ул."],
    "avenue": ["avenue", "ave.", "Ave", "пр.", "prospekt"],
}
FLAT_WORDS = [", apt {n}", ", apt. {n}", ", кв. {n}", " / {n}", "-{n}", ", flat {n}"]
OFFICE_WORDS = [", office {n}", ", оф. {n}", " / {n}", ", н.п. {n}", ", premises {n}"]

SURNAMES = [
    "Akhmetov",
    "Zhumabekov",
    "Nurlanov",
    "Seitkali",
    "Tokayev",
    "Ospanov",
    "Bekov",
    "Ismailov",
    "Kim",
    "Ivanov",
    "Petrenko",
    "Abenov",
    "Sultanov",
    "Omarov",
    "Kassymov",
    "Baimukhanov",
    "Yessenov",
    "Serikbayev",
    "Mukhametov",
    "Li",
    "Tsoi",
    "Smagulov",
    "Karimov",
    "Utepov",
    "Alimzhanov",
    "Nurpeisov",
    "Dzhaksybekov",
    "Kuznetsov",
    "Popov",
    "Sadykov",
]
MALE = ["Nurlan", "Yerlan", "Askar", "Daniyar", "Marat", "Serik", "Timur", "Arman", "Sergey", "Dmitriy", "Azamat"]
FEMALE = ["Aigul", "Saule", "Dana", "Aliya", "Gulnara", "Madina", "Elena", "Olga", "Asel", "Zhanar", "Dinara"]
STEMS = ["Altyn", "Steppe", "Irtysh", "Saryarka", "Nomad", "Tengri", "Zhuldyz", "Aqsu", "Ertis", "Turan", "Orda"]
STEMS += ["Tulpar", "Kyran", "Bereke", "Samruk", "Baiterek", "Alatau", "Kokshe", "Balkhash", "Shygys", "Aibyn"]


class Ids:
    """Unique valid BINs/IINs and meter ids, deterministic for one Random."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.numbers: set[str] = set()
        self.meters: set[str] = set()

    def _checked(self, make) -> str:
        while True:
            first = make()
            check = bin_check_digit(first)
            if check is not None and first + str(check) not in self.numbers:
                self.numbers.add(first + str(check))
                return first + str(check)

    def bin(self) -> str:
        """A legal entity's BIN: YYMM of registration, 4 (resident legal entity), 0 (head office), serial."""
        rng = self.rng
        return self._checked(lambda: f"{rng.randint(0, 24):02d}{rng.randint(1, 12):02d}40{rng.randint(0, 99999):05d}")

    def iin(self, female: bool | None = None) -> str:
        """A person's IIN: birth date YYMMDD, century-and-sex digit (3/4: 1900s, 5/6: 2000s), serial."""
        rng = self.rng
        if female is None:
            female = rng.random() < 0.5

        def make():
            year = rng.randint(1950, 2004)
            century = (3 if year < 2000 else 5) + (1 if female else 0)
            return (
                f"{year % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{century}{rng.randint(0, 9999):04d}"
            )

        return self._checked(make)

    def meter(self, region: str) -> str:
        while True:
            meter_id = f"{REGION_PREFIX[region]}-{self.rng.randint(10000, 9999999):07d}"
            if meter_id not in self.meters:
                self.meters.add(meter_id)
                return meter_id

    def transformer(self, region: str) -> str:
        while True:
            meter_id = f"{REGION_PREFIX[region]}-TP-{self.rng.randint(1, 9999):04d}"
            if meter_id not in self.meters:
                self.meters.add(meter_id)
                return meter_id


def operator(region: str) -> str:
    return OPERATORS.get(region, f"{region.replace('_', ' ').title()} REC")


def person(rng: Random, surname: str | None = None, female: bool | None = None) -> tuple[str, bool]:
    """A person's name as a grid company writes it ('Akhmetov Nurlan', 'AKHMETOVA A.', 'Kim S.')."""
    if female is None:
        female = rng.random() < 0.5
    surname = surname or rng.choice(SURNAMES)
    if female and surname.endswith(("ov", "ev", "in")):
        surname += "a"
    first = rng.choice(FEMALE if female else MALE)
    style = rng.random()
    if style < 0.5:
        name = f"{surname} {first}"
    elif style < 0.85:
        name = f"{surname} {first[0]}.{rng.choice('ABDEKMNSTZ')}."
    else:
        name = f"{surname.upper()} {first.upper()}"
    return name, female


def firm_name(rng: Random, business: str) -> str:
    stem = rng.choice(STEMS)
    form = rng.choice(("TOO", "TOO", "TOO", "AO", "IP")) if business != "state" else "GKP"
    if form == "IP":
        return f"IP {rng.choice(SURNAMES)}"
    return f"{form} {stem} {business}".strip()


class Place:
    """A building or plot: town, street and number; rendered per meter in the operator's inconsistent style."""

    def __init__(self, rng: Random, region: str, *, village: bool = False, microdistrict: bool = False):
        self.region = region
        self.town = rng.choice(TOWNS.get(region, [region.replace("_", " ").title()]))
        self.village = rng.choice(VILLAGES) if village else None
        self.street, self.street_type = rng.choice(STREETS)
        self.microdistrict = rng.choice(MICRODISTRICTS) if microdistrict else None
        self.number = str(rng.randint(1, 180)) + (rng.choice("ABV") if rng.random() < 0.08 else "")

    def sibling(self, rng: Random) -> Place:
        """Another building on the same street (or in the same microdistrict)."""
        other = Place.__new__(Place)
        other.__dict__.update(self.__dict__)
        other.number = str(rng.randint(1, 180)) + (rng.choice("ABV") if rng.random() < 0.08 else "")
        return other

    def render(self, rng: Random, *, unit: int | None = None, office: bool = False, style: int = 0) -> str:
        """One grid company's way of writing this address; `style` is the operator's habit, varied a little."""
        if rng.random() < 0.25:
            style = rng.randrange(4)
        if self.microdistrict:
            word = rng.choice(("mkr.", "мкр.", "microdistrict"))
            core = (
                f"{word} {self.microdistrict}, {self.number}"
                if style % 2 == 0
                else f"{self.microdistrict} {word} {self.number}"
            )
        else:
            word = rng.choice(TYPE_WORDS[self.street_type][:3] if style < 2 else TYPE_WORDS[self.street_type][3:])
            if word in ("ул.", "пр.", "prospekt") or style == 3:
                core = f"{word} {self.street} {self.number}"
            elif style == 2:
                core = f"{self.street} {word}, {self.number}"
            else:
                core = f"{self.street} {word} {self.number}"
        if unit is not None:
            core += rng.choice(OFFICE_WORDS if office else FLAT_WORDS).format(n=unit)
        place = self.village and f"{self.village} village" or self.town
        prefix = rng.random()
        if self.village:
            text = f"{place}, {core}" if prefix < 0.7 else f"с. {self.village}, {core}"
        elif prefix < 0.45:
            text = core
        elif prefix < 0.8:
            text = f"{self.town}, {core}"
        else:
            text = f"г. {self.town}, {core}"
        case = rng.random()
        if case < 0.1:
            return text.upper()
        if case < 0.15:
            return text.lower()
        return text
