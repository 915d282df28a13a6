"""What the demo shop's items are like, per subcategory: the facts a name states, the
specifications a shopper compares, and a sentence that sells it.

One product draws one value per axis. An axis marked "before" or "after" also puts its short
form in the name ("Voltix 27-inch QHD Monitor", "MorningMills Rolled Oats, 1 kg"), so the name
and the specification table always agree. A value "short|long" is short in the name and long in
the table. A fact the noun itself states ("Linen Blouse", "Cast Iron Skillet") wins over a drawn
value, so no linen blouse is listed as polyester.
"""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[str, ...]
    in_name: str = ""  # "", "before" (between brand and noun) or "after" (", 1 kg")


@dataclass(frozen=True)
class Profile:
    blurb: str
    axes: tuple[Axis, ...]


def _axis(name: str, values: str, in_name: str = "") -> Axis:
    return Axis(name, tuple(v.strip() for v in values.split(";")), in_name)


WARRANTY_1_2 = _axis("Warranty", "1 year; 2 years")

PROFILES: dict[tuple[str, str], Profile] = {
    # Electronics
    ("Electronics", "Smartphones"): Profile(
        "A fast, all-day phone with a camera that keeps up with your life.",
        (
            _axis(
                "Display",
                "6.1-inch|6.1-inch OLED; 6.4-inch|6.4-inch AMOLED; 6.7-inch|6.7-inch OLED",
                "before",
            ),
            _axis("Main camera", "50 MP; 48 MP; 108 MP"),
            _axis("Battery", "4,500 mAh; 5,000 mAh; 4,300 mAh"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Laptops"): Profile(
        "Light enough to carry every day, powerful enough for everything you do on it.",
        (
            _axis("Screen", "13-inch; 14-inch; 15.6-inch; 16-inch", "before"),
            _axis("Memory", "16 GB RAM; 8 GB RAM; 32 GB RAM"),
            _axis("Storage", "512 GB SSD; 1 TB SSD; 256 GB SSD"),
            _axis("Battery life", "Up to 10 hours; Up to 14 hours; Up to 18 hours"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Tablets"): Profile(
        "A bright screen for reading, drawing and streaming, wherever you sit.",
        (
            _axis("Screen", "8.7-inch; 10.9-inch; 11-inch; 12.4-inch", "before"),
            _axis("Connectivity", "Wi-Fi; Wi-Fi + 5G"),
            _axis("Battery life", "Up to 10 hours; Up to 12 hours"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Headphones"): Profile(
        "Rich, balanced sound and a fit you forget you are wearing.",
        (
            _axis("Connectivity", "Bluetooth 5.3; Bluetooth 5.2; Bluetooth 5.3 multipoint"),
            _axis("Battery life", "24 hours; 30 hours; 40 hours; 8 hours (32 with case)"),
            _axis("Water resistance", "IPX4; IPX5; None"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Smartwatches"): Profile(
        "Heart rate, sleep and workouts tracked on your wrist, notifications at a glance.",
        (
            _axis("Case size", "41 mm; 44 mm; 46 mm", "before"),
            _axis("Battery life", "Up to 2 days; Up to 7 days; Up to 14 days"),
            _axis("Water resistance", "5 ATM; 10 ATM"),
            _axis("GPS", "Built-in GPS; Connected GPS"),
        ),
    ),
    ("Electronics", "Cameras"): Profile(
        "Sharp pictures and steady video, with controls that stay out of the way.",
        (
            _axis("Sensor", "24 MP; 26 MP; 33 MP; 12 MP"),
            _axis("Video", "4K 30p; 4K 60p; Full HD 60p"),
            _axis("Weight", "390 g; 480 g; 650 g"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Monitors"): Profile(
        "A sharp, flicker-free screen for long days of work and evenings of play.",
        (
            _axis("Screen size", "24-inch; 27-inch; 32-inch", "before"),
            _axis(
                "Resolution",
                "Full HD|1920 × 1080 (Full HD); QHD|2560 × 1440 (QHD); 4K|3840 × 2160 (4K UHD)",
                "before",
            ),
            _axis("Refresh rate", "75 Hz; 144 Hz; 165 Hz"),
            _axis("Panel", "IPS; VA"),
            _axis("Warranty", "3 years"),
        ),
    ),
    ("Electronics", "Printers"): Profile(
        "Crisp documents and photos from your phone or laptop, without the fuss.",
        (
            _axis("Functions", "Print only; Print, scan, copy"),
            _axis("Speed", "15 pages/min; 22 pages/min; 30 pages/min"),
            _axis("Connectivity", "Wi-Fi and USB; Wi-Fi, Ethernet and USB"),
            WARRANTY_1_2,
        ),
    ),
    ("Electronics", "Smart Home"): Profile(
        "Works with your voice assistant and sets up from the app in minutes.",
        (
            _axis("Works with", "Google Home and Alexa; Apple Home; Matter"),
            _axis("Connectivity", "Wi-Fi 2.4 GHz; Wi-Fi and Bluetooth; Thread"),
            WARRANTY_1_2,
        ),
    ),
    # Fashion (women)
    ("Fashion - Women", "Tops"): Profile(
        "An easy top that dresses up or down, cut to move with you.",
        (
            _axis("Material", "100% cotton; Linen blend; Viscose; Organic cotton"),
            _axis("Fit", "Regular fit; Relaxed fit; Slim fit"),
            _axis("Care", "Machine washable; Hand wash"),
        ),
    ),
    ("Fashion - Women", "Bottoms"): Profile(
        "A flattering cut with room to move, from desk to weekend.",
        (
            _axis("Material", "Stretch cotton; Linen blend; Recycled polyester"),
            _axis("Rise", "High rise; Mid rise"),
            _axis("Care", "Machine washable; Hand wash"),
        ),
    ),
    ("Fashion - Women", "Dresses"): Profile(
        "A dress that works for dinner, the office and everything between.",
        (
            _axis("Material", "Viscose; Cotton poplin; Linen blend; Crepe"),
            _axis("Length", "Knee length; Midi length; Maxi length"),
            _axis("Care", "Machine washable; Dry clean recommended"),
        ),
    ),
    ("Fashion - Women", "Outerwear"): Profile(
        "A layer for changing weather, with pockets where your hands expect them.",
        (
            _axis("Material", "Water-repellent cotton; Recycled nylon; Wool blend"),
            _axis("Fit", "Regular fit; Relaxed fit"),
            _axis("Care", "Dry clean recommended; Machine washable"),
        ),
    ),
    ("Fashion - Women", "Footwear"): Profile(
        "Cushioned where it counts and comfortable from the first wear.",
        (
            _axis("Upper", "Leather; Knit mesh; Suede"),
            _axis("Sole", "Rubber; EVA foam"),
            _axis("Fit", "True to size; Runs small: size up"),
        ),
    ),
    ("Fashion - Women", "Handbags"): Profile(
        "Room for the day's essentials, with an inside pocket for your phone.",
        (
            _axis("Material", "Full-grain leather; Vegan leather; Canvas"),
            _axis("Dimensions", "24 × 16 × 8 cm; 32 × 28 × 12 cm; 38 × 30 × 14 cm"),
            _axis("Closure", "Zip; Magnetic snap"),
            _axis("Colour", "Black; Tan; Olive; Burgundy", "after"),
        ),
    ),
    ("Fashion - Women", "Accessories"): Profile(
        "The finishing touch that goes with nearly everything in your wardrobe.",
        (
            _axis("Material", "Mulberry silk; Acetate; Leather"),
            _axis("Colour", "Black; Tortoiseshell; Camel; Navy", "after"),
        ),
    ),
    # Fashion (men)
    ("Fashion - Men", "Tops"): Profile(
        "A wardrobe staple in a fabric that stays soft wash after wash.",
        (
            _axis("Material", "100% cotton; Cotton piqué; Organic cotton; Cotton jersey"),
            _axis("Fit", "Regular fit; Slim fit"),
            _axis("Care", "Machine washable"),
        ),
    ),
    ("Fashion - Men", "Bottoms"): Profile(
        "A clean cut with a little stretch, smart enough for work.",
        (
            _axis("Material", "Stretch cotton twill; Stretch denim; Cotton ripstop"),
            _axis("Fit", "Slim fit; Regular fit; Tapered fit"),
            _axis("Care", "Machine washable"),
        ),
    ),
    ("Fashion - Men", "Outerwear"): Profile(
        "Keeps the wind and rain out without weighing you down.",
        (
            _axis("Material", "Recycled nylon; Wool blend; Waxed cotton"),
            _axis("Fit", "Regular fit; Relaxed fit"),
            _axis("Care", "Dry clean only; Machine washable"),
        ),
    ),
    ("Fashion - Men", "Footwear"): Profile(
        "Supportive all day, with a grip you can trust on wet pavements.",
        (
            _axis("Upper", "Leather; Suede; Knit mesh"),
            _axis("Sole", "Rubber; Vibram rubber; EVA foam"),
            _axis("Fit", "True to size"),
        ),
    ),
    ("Fashion - Men", "Accessories"): Profile(
        "A well-made everyday piece that gets better with use.",
        (
            _axis("Material", "Full-grain leather; Stainless steel; Cotton twill"),
            _axis("Colour", "Black; Brown; Navy; Tan", "after"),
        ),
    ),
    # Beauty & personal care
    ("Beauty & Personal Care", "Skincare"): Profile(
        "A gentle daily step that leaves skin calm, hydrated and even.",
        (
            _axis("Size", "30 ml; 50 ml; 100 ml", "after"),
            _axis("Skin type", "All skin types; Dry skin; Oily skin; Sensitive skin"),
            _axis("Formulation", "Fragrance-free; Vegan; Dermatologist tested"),
        ),
    ),
    ("Beauty & Personal Care", "Makeup"): Profile(
        "Buildable colour that lasts from morning to night without feeling heavy.",
        (
            _axis("Shade", "Nude; Rose; Berry; Natural beige; Warm sand", "after"),
            _axis("Finish", "Matte; Satin; Natural"),
            _axis("Formulation", "Vegan; Cruelty-free; Long-wear"),
        ),
    ),
    ("Beauty & Personal Care", "Hair Care"): Profile(
        "Cleans and nourishes without stripping, for hair that feels like yours again.",
        (
            _axis("Size", "250 ml; 400 ml; 1 L", "after"),
            _axis("Hair type", "All hair types; Dry and damaged; Curly; Fine"),
            _axis("Formulation", "Sulphate-free; Silicone-free; Vegan"),
        ),
    ),
    ("Beauty & Personal Care", "Fragrances"): Profile(
        "A signature scent that lingers softly, not loudly.",
        (
            _axis("Size", "30 ml; 50 ml; 100 ml", "after"),
            _axis("Notes", "Bergamot, jasmine, cedar; Pear, rose, musk; Vetiver, amber, pepper"),
            _axis("Concentration", "Eau de parfum; Eau de toilette"),
        ),
    ),
    ("Beauty & Personal Care", "Grooming Tools"): Profile(
        "A close, comfortable result in minutes, at home or away.",
        (
            _axis("Power", "Rechargeable, 60 min run time; Rechargeable, 90 min run time; Corded"),
            _axis("Attachments", "3 attachments; 5 attachments; None"),
            WARRANTY_1_2,
        ),
    ),
    # Home & kitchen
    ("Home & Kitchen", "Cookware"): Profile(
        "Heats evenly, cleans easily and goes from hob to table.",
        (
            _axis("Size", "20 cm; 24 cm; 28 cm", "before"),
            _axis("Material", "Stainless steel; Hard-anodised aluminium; Carbon steel"),
            _axis("Hob", "All hobs including induction; Gas and electric"),
            _axis("Warranty", "2 years; 5 years; 10 years"),
        ),
    ),
    ("Home & Kitchen", "Small Appliances"): Profile(
        "Quick to set up, simple to clean and small enough for a busy counter.",
        (
            _axis("Power", "800 W; 1200 W; 1500 W; 1800 W"),
            _axis("Capacity", "1.5 L; 1.7 L; 4.5 L; 1 L"),
            WARRANTY_1_2,
        ),
    ),
    ("Home & Kitchen", "Bedding"): Profile(
        "Breathable and soft for Singapore nights, and softer after every wash.",
        (
            _axis("Size", "Single; Queen; King", "before"),
            _axis("Material", "100% cotton, 400 thread count; Bamboo lyocell; Microfibre"),
            _axis("Care", "Machine washable at 40 °C"),
        ),
    ),
    ("Home & Kitchen", "Home Decor"): Profile(
        "A quiet accent that makes a room feel finished.",
        (
            _axis("Material", "Ceramic; Oak wood; Brass; Soy wax"),
            _axis("Dimensions", "20 × 20 × 30 cm; 30 × 30 × 45 cm; 10 × 10 × 12 cm"),
        ),
    ),
    ("Home & Kitchen", "Storage & Organization"): Profile(
        "Finds a place for everything, and stacks neatly when you need more.",
        (
            _axis("Capacity", "12 L; 30 L; 45 L; 5 tiers"),
            _axis("Material", "Recycled polypropylene; Bamboo; Powder-coated steel"),
        ),
    ),
    ("Home & Kitchen", "Vacuum & Cleaning"): Profile(
        "Strong suction on floors and carpets, light enough for the stairs.",
        (
            _axis("Run time", "Up to 40 min; Up to 60 min; Up to 120 min"),
            _axis("Capacity", "0.5 L dust bin; 0.6 L dust bin; 0.75 L dust bin"),
            WARRANTY_1_2,
        ),
    ),
    # Sports & outdoors
    ("Sports & Outdoors", "Fitness Equipment"): Profile(
        "Gym-quality training at home, built to take daily use.",
        (
            _axis("Load", "2–24 kg; 8 kg; 12 kg; 5 resistance levels", "after"),
            _axis("Material", "Cast iron; Natural latex; Steel and rubber"),
        ),
    ),
    ("Sports & Outdoors", "Yoga & Wellness"): Profile(
        "Grip and cushioning for a steady practice, rolled up in seconds.",
        (
            _axis("Material", "Natural rubber; TPE; Cork; EVA foam"),
            _axis("Dimensions", "183 × 61 cm, 6 mm; 45 × 15 cm; 23 × 15 × 7.6 cm"),
            _axis("Weight", "250 g; 600 g; 2.5 kg"),
        ),
    ),
    ("Sports & Outdoors", "Cycling"): Profile(
        "Ride further and safer, in town or on the park connectors.",
        (
            _axis("Size", "S/M; M/L; One size", "after"),
            _axis("Standard", "EN 1078; CPSC"),
            _axis("Weight", "250 g; 290 g; 120 g"),
        ),
    ),
    ("Sports & Outdoors", "Camping & Hiking"): Profile(
        "Packs small, sets up fast and keeps you dry when the weather turns.",
        (
            _axis("Capacity", "2-person; 4-person; 35 L; 45 L", "before"),
            _axis("Weight", "1.2 kg; 2.5 kg; 900 g"),
            _axis("Material", "Ripstop nylon; Recycled polyester"),
        ),
    ),
    ("Sports & Outdoors", "Team Sports"): Profile(
        "Match-ready quality for training sessions and weekend games.",
        (
            _axis("Size", "Size 5; Size 7; Standard", "after"),
            _axis("Level", "Training; Match; Beginners"),
        ),
    ),
    # Toys & games
    ("Toys & Games", "Building Sets"): Profile(
        "Hours of building, with pieces that click together firmly and apart easily.",
        (
            _axis("Pieces", "120 pieces; 350 pieces; 800 pieces; 1,500 pieces", "after"),
            _axis("Age", "Ages 4+; Ages 6+; Ages 9+; Ages 12+"),
        ),
    ),
    ("Toys & Games", "Board Games"): Profile(
        "Easy to learn, hard to put down: a game night favourite.",
        (
            _axis("Players", "2–4 players; 2–6 players; 2 players"),
            _axis("Playing time", "20 min; 45 min; 90 min"),
            _axis("Age", "Ages 8+; Ages 10+; Ages 14+"),
        ),
    ),
    ("Toys & Games", "Puzzles"): Profile(
        "A satisfying challenge with pieces that fit snugly and a picture worth framing.",
        (
            _axis("Theme", "Mountain Lake; Night Market; Botanical Garden; City Skyline", "before"),
            _axis("Age", "Ages 8+; Ages 12+; Adults"),
        ),
    ),
    ("Toys & Games", "Action Figures"): Profile(
        "Fully poseable, built for adventures on the floor and the shelf.",
        (
            _axis("Height", "15 cm; 30 cm", "before"),
            _axis("Age", "Ages 4+; Ages 6+"),
            _axis("Batteries", "Not required; 2 × AAA included"),
        ),
    ),
    ("Toys & Games", "STEM Toys"): Profile(
        "Learning by doing: experiments and projects kids want to finish.",
        (
            _axis("Age", "Ages 6+; Ages 8+; Ages 10+", "after"),
            _axis("Projects", "12 projects; 20 projects; 50 projects"),
            _axis("Batteries", "Not required; Rechargeable, USB-C"),
        ),
    ),
    # Groceries & gourmet
    ("Groceries & Gourmet", "Beverages"): Profile(
        "Refreshing and full of flavour, without anything artificial.",
        (
            _axis("Pack", "20 tea bags; 250 ml × 12; 500 g; 1 L × 6", "after"),
            _axis("Dietary", "No added sugar; Organic; Vegan"),
            _axis("Origin", "Japan; Singapore; Colombia; Sri Lanka"),
        ),
    ),
    ("Groceries & Gourmet", "Snacks"): Profile(
        "A snack you can feel good about, for the office drawer or the trail.",
        (
            _axis("Flavour", "Sea Salt; Honey Roasted; Smoked Paprika; Original", "before"),
            _axis("Weight", "100 g; 150 g; 300 g", "after"),
            _axis("Dietary", "Gluten-free; Vegan; Halal"),
        ),
    ),
    ("Groceries & Gourmet", "Pantry Staples"): Profile(
        "The everyday essential, in a quality you can taste.",
        (
            _axis("Size", "500 ml; 1 kg; 5 kg; 250 ml", "after"),
            _axis("Dietary", "Halal; Organic; Non-GMO"),
            _axis("Origin", "Thailand; Italy; Japan; Spain"),
        ),
    ),
    ("Groceries & Gourmet", "Breakfast"): Profile(
        "A wholesome start to the day, ready in minutes.",
        (
            _axis("Weight", "500 g; 750 g; 1 kg", "after"),
            _axis("Dietary", "Wholegrain; No added sugar; Gluten-free"),
            _axis("Origin", "Australia; United Kingdom; Singapore"),
        ),
    ),
    ("Groceries & Gourmet", "Health Foods"): Profile(
        "Protein and fibre to keep you going, with nothing you cannot pronounce.",
        (
            _axis("Pack", "12 × 60 g; 500 g; 1 L × 6; 250 g", "after"),
            _axis("Dietary", "Vegan; Gluten-free; Organic"),
        ),
    ),
    # Health
    ("Health", "Supplements"): Profile(
        "Daily support in an easy-to-swallow form, tested for purity.",
        (
            _axis("Count", "60 capsules; 90 softgels; 120 tablets", "after"),
            _axis("Usage", "One a day with food; Two a day with food"),
            _axis("Certification", "HSA registered; GMP certified"),
        ),
    ),
    ("Health", "Personal Care"): Profile(
        "Gentle, effective everyday care for the whole family.",
        (
            _axis("Pack", "250 ml; 500 ml", "after"),
            _axis("Features", "Fragrance-free; Dermatologist tested; 70% alcohol"),
        ),
    ),
    ("Health", "First Aid"): Profile(
        "The essentials for everyday cuts and scrapes, at home or on the road.",
        (
            _axis("Contents", "40 pieces; 100 pieces; 25 g tube", "after"),
            _axis("Certification", "HSA registered"),
        ),
    ),
    ("Health", "Medical Devices"): Profile(
        "Accurate readings in seconds, with results you can read at a glance.",
        (
            _axis("Accuracy", "±0.1 °C; ±3 mmHg; ±2% SpO₂"),
            _axis("Power", "2 × AAA included; Rechargeable, USB-C"),
            _axis("Warranty", "2 years; 5 years"),
        ),
    ),
    # Pet supplies
    ("Pet Supplies", "Dog"): Profile(
        "Made for happy, healthy dogs, from puppies to seniors.",
        (
            _axis("Size", "Small breeds; Medium breeds; Large breeds; 2 kg; 7 kg", "after"),
            _axis("Material", "Natural ingredients; Durable rubber; Nylon webbing"),
        ),
    ),
    ("Pet Supplies", "Cat"): Profile(
        "Cat-approved comfort and nutrition, easy on owners too.",
        (
            _axis("Size", "1.5 kg; 4 kg; 10 L; 80 cm", "after"),
            _axis("Suitable for", "Adult cats; Kittens; All ages"),
        ),
    ),
    ("Pet Supplies", "Small Pets"): Profile(
        "A safe, cosy home and good food for hamsters, rabbits and guinea pigs.",
        (
            _axis("Size", "1 kg; 60 × 40 cm; 20 L", "after"),
            _axis("Suitable for", "Hamsters; Rabbits; Guinea pigs"),
        ),
    ),
    ("Pet Supplies", "Aquatic"): Profile(
        "Clear, healthy water for a thriving tank, quiet enough for the bedroom.",
        (
            _axis("Size", "for tanks up to 60 L; for tanks up to 120 L; for tanks up to 250 L", "after"),
            _axis("Power", "5 W; 25 W; 100 W; Not applicable"),
        ),
    ),
    ("Pet Supplies", "Accessories"): Profile(
        "Practical, durable and easy to clean, for every day with your pet.",
        (
            _axis("Size", "S; M; L", "after"),
            _axis("Material", "Stainless steel; Recycled plastic; Natural bristle"),
        ),
    ),
    # Automotive
    ("Automotive", "Car Care"): Profile(
        "A showroom finish from your own driveway, safe on every surface.",
        (
            _axis("Size", "500 ml; 1 L; Pack of 6", "after"),
            _axis("Suitable for", "All paint finishes; Tyres and trims; Glass and interior"),
        ),
    ),
    ("Automotive", "Interior Accessories"): Profile(
        "Small upgrades that make every drive more comfortable and tidy.",
        (
            _axis("Compatibility", "Universal fit; Most sedans; SUVs and MPVs"),
            _axis("Material", "Memory foam; Silicone; Recycled polyester"),
        ),
    ),
    ("Automotive", "Exterior Accessories"): Profile(
        "Protects your car from sun and rain, and fits in minutes.",
        (
            _axis("Fits", "Sedans; SUVs; Hatchbacks", "after"),
            _axis("Material", "UV-reflective polyester; Natural rubber; Oxford fabric"),
        ),
    ),
    ("Automotive", "Tools & Equipment"): Profile(
        "Roadside-ready tools that live in the boot until the day you need them.",
        (
            _axis("Power", "12 V; Rechargeable, 12,000 mAh; Manual"),
            _axis("Warranty", "1 year; 2 years; Lifetime"),
        ),
    ),
    ("Automotive", "Oils & Fluids"): Profile(
        "Keeps your engine running cool and clean, to manufacturer specification.",
        (
            _axis("Volume", "1 L; 4 L; 500 ml", "after"),
            _axis("Specification", "5W-30 fully synthetic; 0W-20 fully synthetic; DOT 4; OAT long-life"),
        ),
    ),
    # Books: the name is a title (see book_title); the noun says what kind of book it is.
    ("Books", "Fiction"): Profile(
        "A page-turner readers could not put down, now in our bestsellers.",
        (_axis("Format", "Paperback; Hardcover"), _axis("Pages", "288; 352; 416; 544")),
    ),
    ("Books", "Non-Fiction"): Profile(
        "Clear, vivid and carefully researched: the story behind the headlines.",
        (_axis("Format", "Paperback; Hardcover"), _axis("Pages", "240; 320; 448")),
    ),
    ("Books", "Children"): Profile(
        "Bright pictures and words to read aloud again and again.",
        (_axis("Format", "Board book; Hardcover; Paperback"), _axis("Age", "Ages 0–3; Ages 3–6; Ages 6–9")),
    ),
    ("Books", "Textbooks"): Profile(
        "Worked examples and exercises that take you from first steps to exam-ready.",
        (_axis("Format", "Paperback; Hardcover"), _axis("Edition", "2nd edition; 3rd edition; 5th edition")),
    ),
    ("Books", "Comics & Manga"): Profile(
        "Stunning art and a story that pulls you straight into the next volume.",
        (_axis("Format", "Paperback"), _axis("Pages", "192; 208; 240")),
    ),
}


def _values(spec: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(v.strip() for v in values.split(";")) for name, values in spec.items()}


# Where a subcategory's values do not all fit one of its nouns: the values that noun draws from.
NOUN_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    noun: _values(spec)
    for noun, spec in {
        "Instant Camera": {"Sensor": "Instant film", "Video": "None (prints instantly)", "Weight": "390 g"},
        "Action Camera": {"Sensor": "12 MP; 27 MP", "Video": "4K 60p; 5.3K 60p", "Weight": "150 g"},
        "Earbuds": {"Battery life": "8 hours (32 with case); 6 hours (24 with case)"},
        "Sports Earphones": {"Battery life": "10 hours; 12 hours", "Water resistance": "IPX5; IPX7"},
        "Mascara": {"Shade": "Black; Brown-black", "Finish": "Volumising; Lengthening"},
        "Matte Lipstick": {"Shade": "Nude; Rose; Berry; Classic Red", "Finish": "Matte"},
        "Liquid Foundation": {"Shade": "Porcelain; Natural Beige; Warm Sand; Deep Honey"},
        "Electric Shaver": {"Power": "Rechargeable, 60 min run time; Rechargeable, 90 min run time"},
        "Hair Dryer": {"Power": "Corded, 1800 W; Corded, 2200 W"},
        "Air Fryer": {"Capacity": "3.5 L; 4.5 L; 5.5 L", "Power": "1500 W; 1700 W"},
        "Blender": {"Capacity": "1.5 L; 2 L", "Power": "800 W; 1200 W"},
        "Coffee Maker": {"Capacity": "1.2 L; 1.5 L", "Power": "1000 W; 1450 W"},
        "Electric Kettle": {"Capacity": "1 L; 1.7 L", "Power": "1800 W; 2200 W"},
        "Table Lamp": {
            "Material": "Ceramic; Brass; Oak wood",
            "Dimensions": "20 × 20 × 45 cm; 25 × 25 × 52 cm",
        },
        "Wall Clock": {"Material": "Oak wood; Brass", "Dimensions": "30 cm across; 40 cm across"},
        "Scented Candle": {"Material": "Soy wax", "Dimensions": "8 × 8 × 10 cm; 10 × 10 × 12 cm"},
        "Storage Box": {"Capacity": "12 L; 30 L; 45 L", "Material": "Recycled polypropylene"},
        "Shoe Rack": {"Capacity": "3 tiers; 5 tiers", "Material": "Bamboo; Powder-coated steel"},
        "Drawer Organiser": {"Capacity": "Set of 4; Set of 8", "Material": "Bamboo; Recycled polypropylene"},
        "Steam Mop": {"Capacity": "0.4 L water tank", "Run time": "Corded, 8 m reach"},
        "Adjustable Dumbbells": {"Load": "2–24 kg; 2–32 kg", "Material": "Steel and rubber"},
        "Resistance Bands": {"Load": "3 resistance levels; 5 resistance levels", "Material": "Natural latex"},
        "Kettlebell": {"Load": "8 kg; 12 kg; 16 kg", "Material": "Cast iron"},
        "Yoga Mat": {"Weight": "1.2 kg; 2.5 kg", "Material": "Natural rubber; TPE; Cork"},
        "Foam Roller": {"Weight": "600 g", "Material": "EVA foam"},
        "Yoga Block": {"Weight": "250 g; 350 g", "Material": "Cork; EVA foam"},
        "Road Bike Helmet": {"Size": "S/M; M/L", "Weight": "250 g; 290 g"},
        "Bike Light Set": {
            "Size": "Front and Rear",
            "Standard": "400 lumens, IPX4; 800 lumens, IPX5",
            "Weight": "120 g",
        },
        "Cycling Gloves": {"Size": "S; M; L", "Standard": "Gel-padded palm", "Weight": "60 g"},
        "Camping Tent": {"Capacity": "2-Person; 4-Person", "Weight": "2.5 kg; 3.8 kg"},
        "Hiking Backpack": {"Capacity": "35 L; 45 L", "Weight": "1.2 kg; 900 g"},
        "Sleeping Bag": {"Capacity": "3-Season; Summer", "Weight": "900 g; 1.2 kg"},
        "Football": {"Size": "Size 4; Size 5"},
        "Basketball": {"Size": "Size 6; Size 7"},
        "Badminton Racket": {"Size": "84 g; 88 g"},
        "Green Tea": {"Pack": "20 tea bags; 50 tea bags; 100 g loose leaf", "Origin": "Japan; Sri Lanka"},
        "Cold Brew Coffee": {"Pack": "250 ml × 12; 1 L", "Origin": "Colombia; Brazil"},
        "Sparkling Water": {"Pack": "330 ml × 24; 1 L × 6", "Origin": "Singapore; Italy"},
        "Jasmine Rice": {"Size": "5 kg; 10 kg", "Origin": "Thailand"},
        "Extra Virgin Olive Oil": {"Size": "500 ml; 1 L", "Origin": "Italy; Spain; Greece"},
        "Soy Sauce": {"Size": "250 ml; 500 ml", "Origin": "Japan; Singapore"},
        "Trail Mix": {"Flavour": "Honey Roasted; Original; Tropical"},
        "Dark Chocolate": {"Flavour": "70% Cocoa; Sea Salt; Orange", "Weight": "100 g"},
        "Protein Bar": {"Pack": "12 × 60 g; 6 × 60 g"},
        "Chia Seeds": {"Pack": "500 g; 1 kg"},
        "Almond Milk": {"Pack": "1 L; 1 L × 6"},
        "Electric Toothbrush": {"Pack": "with 2 brush heads; with travel case", "Features": "2-week battery"},
        "Hand Sanitiser": {"Pack": "50 ml; 500 ml", "Features": "70% alcohol"},
        "Body Lotion": {"Pack": "250 ml; 400 ml"},
        "First Aid Kit": {"Contents": "40 pieces; 100 pieces"},
        "Adhesive Bandages": {"Contents": "Pack of 40; Pack of 100"},
        "Antiseptic Cream": {"Contents": "25 g; 50 g"},
        "Digital Thermometer": {"Accuracy": "±0.1 °C"},
        "Blood Pressure Monitor": {"Accuracy": "±3 mmHg"},
        "Pulse Oximeter": {"Accuracy": "±2% SpO₂"},
        "Dog Food": {"Size": "2 kg; 7 kg; 15 kg", "Material": "Natural ingredients"},
        "Dog Leash": {"Size": "Small breeds; Medium breeds; Large breeds", "Material": "Nylon webbing"},
        "Chew Toy": {"Size": "Small breeds; Medium breeds; Large breeds", "Material": "Durable rubber"},
        "Cat Food": {"Size": "1.5 kg; 4 kg"},
        "Cat Litter": {"Size": "10 L; 20 L"},
        "Scratching Post": {"Size": "80 cm; 120 cm", "Suitable for": "All ages"},
        "Hamster Cage": {"Size": "60 × 40 cm; 80 × 50 cm", "Suitable for": "Hamsters"},
        "Rabbit Hay": {"Size": "1 kg; 2.5 kg", "Suitable for": "Rabbits; Guinea pigs"},
        "Small Pet Bedding": {"Size": "20 L; 56 L"},
        "Fish Food": {"Size": "100 g; 250 g", "Power": "Not applicable"},
        "Pet Carrier": {"Material": "Recycled plastic; Nylon mesh"},
        "Pet Bowl Set": {"Material": "Stainless steel; Ceramic"},
        "Grooming Brush": {"Material": "Natural bristle; Stainless steel pins"},
        "Phone Mount": {"Material": "Silicone; ABS and silicone"},
        "Seat Cushion": {"Material": "Memory foam"},
        "Car Organiser": {"Material": "Recycled polyester"},
        "Sunshade": {"Material": "UV-reflective polyester"},
        "Car Cover": {"Material": "Oxford fabric"},
        "Wiper Blades": {"Material": "Natural rubber"},
        "Car Shampoo": {"Size": "500 ml; 1 L", "Suitable for": "All paint finishes"},
        "Microfibre Towels": {
            "Size": "Pack of 6; Pack of 12",
            "Suitable for": "Glass and interior; All paint finishes",
        },
        "Tyre Shine": {"Size": "500 ml", "Suitable for": "Tyres and trims"},
        "Tyre Inflator": {"Power": "12 V; Rechargeable, 4,000 mAh"},
        "Jump Starter": {"Power": "Rechargeable, 12,000 mAh; Rechargeable, 20,000 mAh"},
        "Socket Set": {"Power": "Manual", "Warranty": "Lifetime"},
        "Engine Oil": {"Volume": "1 L; 4 L", "Specification": "5W-30 fully synthetic; 0W-20 fully synthetic"},
        "Coolant": {"Volume": "1 L; 4 L", "Specification": "OAT long-life"},
        "Brake Fluid": {"Volume": "500 ml; 1 L", "Specification": "DOT 4; DOT 5.1"},
        "Sunglasses": {"Material": "Acetate", "Colour": "Black; Tortoiseshell"},
        "Analog Watch": {"Material": "Stainless steel"},
        "Baseball Cap": {"Material": "Cotton twill"},
    }.items()
}

# A fact the noun states, and the specification it fixes.
NOUN_FACTS: dict[str, tuple[str, str]] = {
    "Linen": ("Material", "100% linen"),
    "Cotton": ("Material", "100% cotton"),
    "Knit": ("Material", "Cotton-wool knit"),
    "Denim": ("Material", "Rigid cotton denim"),
    "Jeans": ("Material", "Stretch denim"),
    "Leather": ("Material", "Full-grain leather"),
    "Silk": ("Material", "Mulberry silk"),
    "Wool": ("Material", "Wool blend"),
    "Puffer": ("Material", "Recycled nylon, recycled down fill"),
    "Cast Iron": ("Material", "Cast iron"),
    "Non-Stick": ("Material", "Aluminium with non-stick coating"),
    "Memory Foam": ("Material", "Memory foam"),
    "Yoga Mat": ("Dimensions", "183 × 61 cm, 6 mm"),
    "Foam Roller": ("Dimensions", "45 × 15 cm"),
    "Yoga Block": ("Dimensions", "23 × 15 × 7.6 cm"),
    "Running Shoes": ("Upper", "Knit mesh"),
    "Trail Shoes": ("Sole", "Vibram rubber"),
}

# Title halves that read well in any pairing: "The Paper Garden", "Echoes of the Monsoon".
_TITLE_FIRST = (
    "The Silent",
    "The Last",
    "Beneath the",
    "The Paper",
    "The Hidden",
    "The Lantern",
    "Echoes of the",
    "Letters from the",
    "Across the",
    "The Night",
    "Under the",
    "The Golden",
)
_TITLE_SECOND = (
    "Harbour",
    "Monsoon",
    "Garden",
    "Orchard",
    "River",
    "Kampong",
    "Lighthouse",
    "Strait",
    "Tide",
    "Mountain",
    "Market",
    "Island",
)


def book_title(rng: random.Random, noun: str) -> str:
    """A title for a demo book: "The Silent Harbour: A Mystery Novel"."""
    article = "" if noun.endswith("s") else "An " if noun[0] in "AEIOU" else "A "
    return f"{rng.choice(_TITLE_FIRST)} {rng.choice(_TITLE_SECOND)}: {article}{noun}"


def _short(value: str) -> str:
    return value.split("|", 1)[0]


def _long(value: str) -> str:
    return value.split("|", 1)[-1]


@dataclass(frozen=True)
class Item:
    name: str
    specifications: list[tuple[str, str]]
    description: str
    branded: bool = True  # the shop shows "<Brand> <name>"; a book is shown by its title alone


def draw_item(rng: random.Random, category: str, subcategory: str, noun: str) -> Item:
    """One item of this subcategory: its name (brand left out), specifications and description."""
    profile = PROFILES[(category, subcategory)]
    fixed = dict(fact for word, fact in NOUN_FACTS.items() if word in noun)
    own = NOUN_VALUES.get(noun, {})
    chosen = [(axis, rng.choice(own.get(axis.name, axis.values))) for axis in profile.axes]
    specifications = [(axis.name, fixed.get(axis.name, _long(value))) for axis, value in chosen]
    if category == "Books":
        name = book_title(rng, noun)
        specifications.insert(0, ("Genre", noun))
    else:
        before = " ".join(_short(v) for axis, v in chosen if axis.in_name == "before")
        after = ", ".join(_short(v) for axis, v in chosen if axis.in_name == "after")
        name = " ".join(p for p in (before, noun) if p) + (f", {after}" if after else "")
    facts = "; ".join(f"{label.lower()}: {value}" for label, value in specifications[:3])
    description = f"{profile.blurb} {facts[0].upper()}{facts[1:]}."
    return Item(
        name=name, specifications=specifications, description=description, branded=category != "Books"
    )
