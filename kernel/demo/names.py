"""Word lists for plausible company names, segments, regions and account managers."""

from __future__ import annotations

# fmt: off
SURNAMES = (
    "Adler", "Bauer", "Berger", "Braun", "Brandt", "Costa", "Dubois", "Engel", "Fischer",
    "Frank", "Fuchs", "Garcia", "Hahn", "Hansen", "Hartmann", "Horvat", "Jansen", "Kaiser",
    "Keller", "Klein", "Koch", "Kowalski", "Krause", "Lang", "Larsen", "Lehmann", "Lorenz",
    "Martin", "Meier", "Moreau", "Novak", "Olsen", "Peters", "Petit", "Richter", "Rossi",
    "Roth", "Santos", "Schmid", "Schneider", "Schulz", "Schwarz", "Silva", "Sommer", "Stein",
    "Vogel", "Wagner", "Walter", "Weber", "Werner", "Wolf", "Zimmermann",
)

TRADES = (
    "Agrar", "Automotive", "Bau", "Bürotechnik", "Elektro", "Energie", "Feinkost", "Fliesen",
    "Getränke", "Haustechnik", "Holz", "Industriebedarf", "Kälte", "Logistik", "Maschinen",
    "Medizintechnik", "Metall", "Möbel", "Optik", "Papier", "Pharma", "Sanitär", "Solar",
    "Sport", "Technik", "Textil", "Verpackung", "Werkzeug",
)

LEGAL_FORMS = ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "OHG", "SE", "Ltd.", "S.A.", "B.V.")
LEGAL_WEIGHTS = (0.38, 0.14, 0.08, 0.08, 0.08, 0.04, 0.02, 0.06, 0.06, 0.06)

SEGMENTS = ("wholesaler", "retailer", "dealer", "distributor", "installer")
SEGMENT_WEIGHTS = (0.18, 0.34, 0.24, 0.08, 0.16)

REGIONS = ("North", "South", "East", "West", "Central")
REGION_WEIGHTS = (0.21, 0.24, 0.16, 0.23, 0.16)

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Jonas", "Julia",
    "Karim", "Laura", "Lukas", "Maja", "Marco", "Mia", "Nina", "Noah", "Oskar", "Paula",
    "Sara", "Simon", "Tom", "Yusuf",
)
# fmt: on

MANAGERS_MAX = len(FIRST_NAMES) * len(SURNAMES)
CUSTOMERS_PER_MANAGER = 300
