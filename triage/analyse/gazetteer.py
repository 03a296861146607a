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
REGIONS = ["Sahel", "Central Sahel", "West Africa", "Lake Chad Basin", "Liptako-Gourma", "Great Lakes region"]

# Armed groups and alliances, whose transliterated names the small model splits into PERSONs.
ARMED_GROUPS_AND_ALLIANCES = [
    "Jama‘a Nusrat ul-Islam wa al-Muslimin", "Jama'a Nusrat ul-Islam wa al-Muslimin",
    "Jama'at Nusrat al-Islam wal-Muslimin", "Jama‘at Nusrat al-Islam wal-Muslimin", "JNIM",
    "Islamic State Sahel Province", "Islamic State in the Greater Sahara", "Islamic State West Africa Province",
    "ISWAP", "Boko Haram", "Al-Qaida", "Al-Qaida in the Islamic Maghreb", "Confederation of Sahel States",
    "Alliance of Sahel States", "Mano River Union",
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
        {"label": "GPE", "pattern": name, "id": code} for code, names in KNOWN_PLACES.items() for name in names
    ]
    patterns += [{"label": "LOC", "pattern": name, "id": name} for name in REGIONS]
    patterns += [{"label": "ORG", "pattern": name, "id": name} for name in UN_AND_REGIONAL_BODIES]
    patterns += [{"label": "ORG", "pattern": name, "id": name} for name in ARMED_GROUPS_AND_ALLIANCES]
    patterns += [{"label": "NORP", "pattern": name, "id": name} for name in PROTECTED_GROUP_TERMS + TUAREG_GROUPS]
    return patterns


def country_code(name: str) -> str:
    """ISO alpha-2 code for a country name or alias, or "" if unknown."""
    for code, names in _country_names().items():
        if name in names:
            return code
    return ""
