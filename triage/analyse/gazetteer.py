"""Names the small English model often gets wrong in situation reports, as spaCy ruler patterns.

Country names come from pycountry (ISO 3166) plus the short forms reports actually use; the UN
bodies, missions and protected-group terms are our own lists of public names. Each pattern's `id`
carries a normalised form (ISO alpha-2 code for countries) that ends up in `Entity.norm`.
"""

from __future__ import annotations

import pycountry

# Short or common forms used in UN and NGO reporting that ISO's names do not cover.
COUNTRY_ALIASES = {
    "CD": ["Democratic Republic of the Congo", "DRC", "DR Congo", "RDC", "République démocratique du Congo"],
    "CG": ["Republic of the Congo", "Congo-Brazzaville"],
    "CF": ["CAR", "Centrafrique", "République centrafricaine"],
    "CI": ["Côte d'Ivoire", "Ivory Coast"],
    "SY": ["Syria"],
    "IR": ["Iran"],
    "RU": ["Russia"],
    "VE": ["Venezuela"],
    "BO": ["Bolivia"],
    "TZ": ["Tanzania"],
    "KP": ["North Korea"],
    "KR": ["South Korea"],
    "LA": ["Laos"],
    "MD": ["Moldova"],
    "PS": ["Palestine", "State of Palestine", "occupied Palestinian territory", "Gaza", "West Bank"],
    "MM": ["Myanmar", "Burma"],
    "TR": ["Turkey", "Türkiye"],
    "TW": ["Taiwan"],
    "VN": ["Viet Nam", "Vietnam"],
    "GB": ["United Kingdom", "UK"],
    "US": ["United States", "USA"],
    "ML": ["Mali"],
    "TD": ["Chad", "Tchad"],
    "NE": ["Niger"],
    "BF": ["Burkina Faso"],
    "HT": ["Haïti"],
    "CM": ["Cameroun"],
    "SS": ["South Sudan", "Soudan du Sud"],
    "SD": ["Sudan", "Soudan"],
    "GN": ["Guinée"],
    "SO": ["Somalie"],
}

UN_AND_REGIONAL_BODIES = [
    "MINUSMA", "MINUSCA", "MONUSCO", "UNMISS", "UNAMA", "UNAMI", "UNSOM", "UNSOS", "UNTMIS", "UNSMIL",
    "UNITAMS", "UNIFIL", "UNDOF", "UNFICYP", "MINURSO", "UNISFA", "UNMIK", "BINUH", "UNMHA", "UNOWAS",
    "OCHA", "OHCHR", "UNHCR", "UNICEF", "WFP", "UNFPA", "UNDP", "IOM", "UNRWA", "UNESCO", "FAO", "ICRC",
    "IFRC", "MSF", "Médecins Sans Frontières", "Security Council", "Human Rights Council",
    "General Assembly", "African Union", "ECOWAS", "CEDEAO", "IGAD", "SADC", "ECCAS", "European Union",
    "International Criminal Court", "ICC", "International Court of Justice", "Peacebuilding Commission",
    "Office on Genocide Prevention and the Responsibility to Protect",
]

# Ethnic, religious and national group names that reports use and the small model often mislabels.
PROTECTED_GROUP_TERMS = [
    "Rohingya", "Yazidi", "Yazidis", "Masalit", "Fur", "Zaghawa", "Tutsi", "Tutsis", "Hutu", "Hutus",
    "Fulani", "Peul", "Peuls", "Dogon", "Bambara", "Nuer", "Dinka", "Shilluk", "Murle", "Hazara",
    "Hazaras", "Pashtun", "Uyghur", "Uyghurs", "Kurds", "Amhara", "Tigrayan", "Tigrayans", "Oromo",
    "Banyamulenge", "Hema", "Lendu", "Twa", "Garifuna", "Dalit", "Dalits", "Kuki", "Meitei", "Alawite",
    "Alawites", "Druze", "Sunni", "Shia", "Christians", "Muslims", "Ahmadi", "Ahmadis", "Baha'i",
    "Mbororo", "Anglophones", "Kachin", "Karen", "Shan", "Bosniaks", "Roma", "Tamils", "Tamil",
]

# Tuareg groups, for the ruler only: classify masks PROTECTED_GROUP_TERMS, and the shipped model was trained
# with that list as it is.
TUAREG_GROUPS = ["Tuareg", "Tuaregs", "Idnan", "Imghad", "Daoussahak"]

# Places whose names contain a country's name, so the country pattern does not swallow them.
PLACES_WITH_COUNTRY_NAMES = [
    "Niger River", "Niger Delta", "Congo River", "Congo Basin", "Lake Chad", "Lake Chad Basin",
    "Chad Basin", "Sudan-South Sudan border", "Mali-Niger border", "Lake Malawi", "Gulf of Guinea",
]

# For the ruler only (classify masks _country_names(), and the shipped model was trained with it as it is):
# UN PDFs print the curly apostrophe, which the model split into "Côte" PERSON/ORG.
RULER_COUNTRY_ALIASES = {"CI": ["Côte d’Ivoire"]}

# Regions that are no state; the small model calls "Sahel" a PERSON.
REGIONS = [
    "Sahel", "Central Sahel", "West Africa", "Lake Chad Basin", "Liptako-Gourma", "Great Lakes region", "Great Lakes",
    "Horn of Africa", "North Africa", "East Africa", "Eastern Africa", "Central Africa", "Southern Africa",
    "Middle East", "Levant", "Arabian Peninsula", "Maghreb", "Central Asia", "South Asia", "North Caucasus",
    "Blue Line", "Lake Kivu", "Lake Edward", "Lake Albert", "Lake Tanganyika", "Lake Victoria", "Gulf of Aden",
    "Red Sea", "Mediterranean Sea", "Darfur region",
]

# Armed groups and alliances, whose transliterated names the small model splits into PERSONs.
ARMED_GROUPS_AND_ALLIANCES = [
    "Jama‘a Nusrat ul-Islam wa al-Muslimin", "Jama'a Nusrat ul-Islam wa al-Muslimin",
    "Jama'at Nusrat al-Islam wal-Muslimin", "Jama‘at Nusrat al-Islam wal-Muslimin", "JNIM",
    "Islamic State Sahel Province", "Islamic State in the Greater Sahara", "Islamic State West Africa Province",
    "ISWAP", "Boko Haram", "Al-Qaida", "Al-Qaida in the Islamic Maghreb", "Confederation of Sahel States",
    "Alliance of Sahel States", "Mano River Union",
    # Groups the UN situation reports name most (held-out paragraphs showed "M23" as a GPE, "Da’esh" untagged).
    "Da’esh", "Da'esh", "ISIL", "ISIS", "ISIL-K", "ISIL-Khorasan", "Islamic State in Iraq and the Levant",
    "Islamic State in Iraq and the Levant-Khorasan", "Islamic State in Somalia", "Islamic State Central Africa Province",
    "Al-Shabaab", "Al-Qaida in the Arabian Peninsula", "Hay’at Tahrir al-Sham", "Hay'at Tahrir al-Sham",
    "Hizbullah", "Hezbollah", "Hamas", "Ansar Allah", "Ansaroul Islam", "Katiba Macina", "Lakurawa",
    "M23", "AFC/M23", "Alliance Fleuve Congo", "Mouvement du 23 mars", "Allied Democratic Forces", "ADF", "FDLR",
    "Forces démocratiques de libération du Rwanda", "CODECO", "Wazalendo", "Twirwaneho", "Red Tabara", "Zaïre",
    "Rapid Support Forces", "SPLM/A-IO", "SPLM-IO", "SPLA-IO", "National Salvation Front", "White Army",
    "Lord’s Resistance Army", "Lord's Resistance Army", "Viv Ansanm", "Gran Grif", "5 Segond", "Wagner Group",
    "Africa Corps", "Coalition des patriotes pour le changement", "Union pour la paix en Centrafrique", "Anti-balaka",
    "Syrian Democratic Forces", "Stability Support Apparatus", "Popular Mobilization Forces",
    "Deterrence Apparatus for Combating Organized Crime and Terrorism", "Deterrence Apparatus",
]

# State forces named after their nation's adjective; the country forms ("Israel Defense Forces", "Armed Forces of
# the Democratic Republic of the Congo") come from _country_org_patterns.
STATE_FORCES = [
    "Sudanese Armed Forces", "Lebanese Armed Forces", "Somali National Army", "Somali Police Force", "Libyan National Army",
    "Haitian National Police", "Haitian Armed Forces", "Congolese National Police", "Malian Armed Forces",
    "Forces armées maliennes", "FAMa", "FARDC", "Forces armées de la République démocratique du Congo", "SSPDF",
    "Central African Armed Forces", "Forces armées centrafricaines", "FACA", "Iraqi Security Forces", "IDF",
]

# Regional and international bodies the small model cuts short or misses ("Peace and Security Council of the African
# Union" came out as "African Union" alone, since the ruler claims that name first).
MORE_BODIES = [
    "African Union Commission", "Peace and Security Council", "Peace and Security Council of the African Union",
    "ATMIS", "AUSSOM", "AMISOM", "African Union Transition Mission in Somalia", "African Union Mission in Somalia",
    "African Union Support and Stabilization Mission in Somalia", "UNODC", "UNMAS", "UNHAS",
    "United Nations Office on Drugs and Crime", "United Nations Mine Action Service", "Mine Action Service",
    "United Nations Humanitarian Air Service", "International Organization for Migration", "World Bank",
    "International Monetary Fund", "IMF", "EAC", "East African Community", "Southern African Development Community",
    "Economic Community of Central African States", "Intergovernmental Authority on Development",
    "League of Arab States", "Organisation of Islamic Cooperation", "Counter-Terrorism Committee",
    "Office of Counter-Terrorism", "International Committee of the Red Cross", "Multinational Security Support Mission",
    "United Nations Interim Force in Lebanon", "United Nations Support Mission in Libya",
    "United Nations Integrated Office in Haiti", "United Nations Assistance Mission for Iraq",
    "United Nations Mission in South Sudan", "United Nations Transitional Assistance Mission in Somalia",
    "United Nations Organization Stabilization Mission in the Democratic Republic of the Congo",
]

# Bodies named "<body> of <country>" or "<country> <force>": one ORG, so the country pattern does not cut them
# ("Israel Defense Forces" was "Israel" GPE, "Government of Iraq" was "Government of" ORG and "Iraq" GPE).
COUNTRY_ORG_TEMPLATES = [
    "Government of {}", "Government of the {}", "Federal Government of {}", "Armed Forces of {}",
    "Armed Forces of the {}", "Permanent Mission of {} to the United Nations",
    "Permanent Mission of the {} to the United Nations", "Central Bank of {}", "Central Bank of the {}",
    "{} Defence Forces", "{} Defence Force", "{} Defense Forces", "{} People’s Defence Forces",
    "{} People's Defence Forces", "{} Armed Forces", "{} National Army", "{} National Police",
]

# Ethnic groups and clans for the ruler only (like TUAREG_GROUPS: classify masks PROTECTED_GROUP_TERMS as it is).
RULER_GROUPS = [
    "Tebu", "Toubou", "Hawiye", "Darod", "Isaaq", "Rahanweyn", "Abgaal", "Habar Gidir", "Marehan", "Ogaden",
    "Dhulbahante", "Warsangeli", "Majerteen", "Misseriya", "Rizeigat", "Ngok Dinka", "Lou Nuer", "Azande",
]

# Admin units and towns that reports name without their country, which the small model calls PERSON or ORG
# ("Bankass Cercle", "Sévaré", "Koro"). Tagged GPE with their country's code, so they vote for it too.
KNOWN_PLACES = {
    "ML": [
        "Bamako", "Mopti", "Sévaré", "Sevare", "Bankass", "Bankass Cercle", "Koro", "Koro Cercle", "Bandiagara",
        "Bandiagara Cercle", "Douentza", "Djenné", "Ténenkou", "Youwarou", "Macina", "Niono", "Ségou", "Gao",
        "Kidal", "Ménaka", "Tombouctou", "Timbuktu", "Kayes", "Koulikoro", "Sikasso", "Taoudeni", "Ansongo",
        "Bourem", "Tessalit", "Aguelhok", "Ogossagou", "Sobane Da", "Diafarabé", "Hombori", "Léré",
        "Niafunké", "Goundam", "Diré", "Moura", "Dioura", "Tominian", "Djenne", "Soumpi", "Boulikessi", "Nioro",
        "Nioro du Sahel", "Sandare", "Diboli", "Gogui", "Molodo",
    ],
    "BF": ["Ouagadougou", "Djibo", "Dori", "Kaya", "Fada N'Gourma", "Ouahigouya", "Barsalogho"],
    "NE": ["Niamey", "Tillabéri", "Tillaberi", "Diffa", "Agadez", "Tahoua", "Zinder", "Maradi"],
    "CF": ["Bangui", "Bambari", "Bria", "Kaga-Bandoro", "Bossangoa", "Bangassou", "Birao", "Ndélé"],
    "CD": ["Kinshasa", "Goma", "Bunia", "Beni", "Butembo", "Bukavu", "Uvira", "Djugu", "Rutshuru", "Masisi"],
    "SS": ["Juba", "Malakal", "Bentiu", "Bor", "Wau", "Yei", "Pibor", "Yambio"],
    "GW": ["Bissau"],
    "SD": ["Khartoum", "El Fasher", "El Geneina", "Nyala", "Zalingei", "Port Sudan", "Omdurman"],
}

# Admin units and main towns of the other countries the UN situation reports cover, by the spellings those reports
# use (states, provinces and regions in full; towns that recur). Names shared by two countries ("Tripoli", "Salah
# al-Din") and common words ("Bay", "Unity", "Carrefour") are left to the model.
MORE_PLACES = {
    "SO": [
        "Somaliland", "Jubbaland", "Jubaland", "Puntland", "Galmudug", "Hirshabelle", "South-West State",
        "Galmudug State", "Puntland State", "Jubbaland State", "Hirshabelle State", "Banaadir", "Benadir", "Awdal",
        "Woqooyi Galbeed", "Togdheer", "Sool", "Sanaag", "Nugaal", "Mudug", "Galguduud", "Hiraan", "Shabelle Dhexe",
        "Shabelle Hoose", "Middle Shabelle", "Lower Shabelle", "Bakool", "Gedo", "Juba Dhexe", "Juba Hoose",
        "Middle Juba", "Lower Juba", "Mogadishu", "Kismaayo", "Kismayo", "Baidoa", "Beledweyne", "Beletweyne",
        "Gaalkacyo", "Galkayo", "Garowe", "Bosaso", "Hargeisa", "Laascaanood", "Ceerigaabo", "Dhuusamarreeb", "Jawhar",
        "Baardheere", "Luuq", "Buulobarde", "Afgooye", "Marka", "Barawe", "Dhooble", "Doolow", "Waajid", "Xudur",
        "Ceel Buur", "Adan Yabaal", "Jilib", "Afmadow",
    ],
    "CD": [
        "Ituri", "North Kivu", "South Kivu", "Nord-Kivu", "Sud-Kivu", "Tanganyika", "Haut-Uele", "Bas-Uele", "Tshopo",
        "Maniema", "Haut-Katanga", "Haut-Lomami", "Lualaba", "Kasai", "Kasaï", "Kasai-Central", "Kasai-Oriental",
        "Lomami", "Sankuru", "Kwilu", "Kwango", "Mai-Ndombe", "Kongo Central", "Équateur", "Tshuapa", "Mongala",
        "Nord-Ubangi", "Sud-Ubangi", "Lubero", "Walikale", "Nyiragongo", "Irumu", "Mambasa", "Mahagi", "Fizi", "Mwenga",
        "Shabunda", "Kalehe", "Kabare", "Walungu", "Oicha", "Sake", "Minova", "Kamanyola", "Kisangani", "Lubumbashi",
        "Kananga", "Mbuji-Mayi", "Kolwezi", "Kiwanja", "Kitshanga", "Eringeti", "Komanda", "Mbau", "Kalemie", "Baraka",
    ],
    "SS": [
        "Central Equatoria", "Eastern Equatoria", "Western Equatoria", "Jonglei", "Upper Nile", "Unity State",
        "Warrap", "Lakes State", "Northern Bahr el-Ghazal", "Western Bahr el-Ghazal", "Greater Pibor Administrative Area",
        "Ruweng Administrative Area", "Nasir", "Akobo", "Rumbek", "Aweil", "Kuajok", "Torit", "Kapoeta", "Renk",
        "Tambura", "Ulang", "Maban",
    ],
    "SD": [
        "Darfur", "North Darfur", "South Darfur", "West Darfur", "Central Darfur", "East Darfur", "Kordofan",
        "North Kordofan", "South Kordofan", "West Kordofan", "Blue Nile", "White Nile", "Gezira", "Al Jazirah",
        "Kassala", "Gedaref", "Sennar", "Wad Madani", "El Obeid", "Kadugli", "Ed Daein", "Tawila", "Zamzam", "Kutum",
    ],
    "LY": [
        "Benghazi", "Misratah", "Misrata", "Sirte", "Zawiyah", "Zintan", "Sabha", "Derna", "Tobruk", "Bani Walid",
        "Gharyan", "Khums", "Kufra", "Ubari", "Murzuq", "Nalut", "Jufrah", "Tarhunah", "Zuwarah", "Ajdabiya", "Brega",
        "Ras Lanuf", "Fezzan", "Janzur", "Tajura", "Abu Salim",
    ],
    "LB": [
        "Beirut", "Tyre", "Sidon", "Saida", "Nabatiyah", "Nabatieh", "Baalbek", "Hermel", "Marjayoun", "Bint Jubayl",
        "Khiyam", "Naqoura", "Hasbaya", "Akkar", "Shuf", "Chouf", "Alayh", "Aley", "Jubayl", "Batrun", "Zahle",
        "Biqa‘", "Beqaa", "Bekaa", "Dahiyah",
    ],
    "SY": [
        "Damascus", "Aleppo", "Idlib", "Hama", "Homs", "Latakia", "Tartus", "Dar‘a", "Daraa", "Suwayda", "Sweida",
        "Quneitra", "Raqqa", "Raqqah", "Dayr al-Zawr", "Deir ez-Zor", "Hasakah", "Hasakeh", "Rif Dimashq", "Hawl",
        "Al-Hol", "Rawj", "Roj", "Manbij", "Kobani", "Qamishli", "Afrin", "Palmyra",
    ],
    "IQ": [
        "Baghdad", "Basrah", "Basra", "Mosul", "Ninawa", "Nineveh", "Anbar", "Anbar Governorate", "Kirkuk", "Diyala",
        "Sinjar", "Erbil", "Arbil", "Dahuk", "Duhok", "Sulaymaniyah", "Najaf", "Karbala", "Fallujah", "Ramadi",
        "Tikrit", "Babil", "Wasit", "Maysan", "Dhi Qar", "Muthanna", "Qadisiyah", "Halabja",
    ],
    "HT": [
        "Port-au-Prince", "Pétion-Ville", "Petion-Ville", "Cap-Haïtien", "Cap-Haitien", "Gonaïves", "Les Cayes",
        "Jacmel", "Jérémie", "Saint-Marc", "Mirebalais", "Hinche", "Croix-des-Bouquets", "Cité Soleil", "Delmas",
        "Tabarre", "Kenscoff", "Martissant", "Arcahaie", "Artibonite", "Nippes", "Grand'Anse", "Grande-Anse",
        "Miragoâne", "Ouanaminthe", "Malpasse", "Belladère",
    ],
    "NG": ["Borno", "Borno State", "Maiduguri", "Yobe", "Adamawa", "Zamfara", "Katsina", "Sokoto"],
    "MZ": ["Cabo Delgado", "Cabo Delgado Province", "Mocimboa da Praia", "Macomia", "Muidumbe", "Niassa", "Nampula"],
}


def _country_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value and "," not in value:  # "Congo, The Democratic Republic of the" is no one's usage
                names.setdefault(c.alpha_2, set()).add(value)
    for code, aliases in COUNTRY_ALIASES.items():
        names.setdefault(code, set()).update(aliases)
    return names


def _country_org_patterns() -> list[dict[str, str]]:
    # Only the names reports write (ISO name, common name, our aliases), not "Republic of ..." official names.
    names = {n for c in pycountry.countries for n in (c.name, getattr(c, "common_name", None)) if n and "," not in n}
    names |= {n for aliases in COUNTRY_ALIASES.values() for n in aliases if len(n) > 3}
    return [{"label": "ORG", "pattern": t.format(n), "id": t.format(n)} for n in sorted(names) for t in COUNTRY_ORG_TEMPLATES]


def ruler_patterns() -> list[dict[str, str]]:
    """Entity-ruler patterns: countries (GPE, id = ISO alpha-2), UN and regional bodies (ORG), groups (NORP)."""
    patterns = [
        {"label": "GPE", "pattern": name, "id": code}
        for code, names in sorted(_country_names().items())
        for name in sorted(names)
    ]
    patterns += [
        {"label": "GPE", "pattern": name, "id": code} for code, names in RULER_COUNTRY_ALIASES.items() for name in names
    ]
    patterns += [{"label": "LOC", "pattern": name, "id": name} for name in PLACES_WITH_COUNTRY_NAMES]
    patterns += [
        {"label": "GPE", "pattern": name, "id": code}
        for places in (KNOWN_PLACES, MORE_PLACES) for code, names in places.items() for name in names
    ]
    patterns += [{"label": "LOC", "pattern": name, "id": name} for name in REGIONS]
    patterns += [{"label": "ORG", "pattern": name, "id": name} for name in UN_AND_REGIONAL_BODIES]
    patterns += [{"label": "ORG", "pattern": name, "id": name}
                 for name in ARMED_GROUPS_AND_ALLIANCES + STATE_FORCES + MORE_BODIES]
    patterns += _country_org_patterns()
    patterns += [{"label": "NORP", "pattern": name, "id": name}
                 for name in PROTECTED_GROUP_TERMS + TUAREG_GROUPS + RULER_GROUPS]
    return patterns


def country_code(name: str) -> str:
    """ISO alpha-2 code for a country name or alias, or "" if unknown."""
    for code, names in _country_names().items():
        if name in names:
            return code
    return ""
