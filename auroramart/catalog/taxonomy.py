"""The AuroraMart taxonomy (12 categories, 60 subcategories, as in the
original product file) and the vocabulary the demo catalog is drawn from."""

# Categories people buy again and again (recommendations may repeat them).
CONSUMABLE_CATEGORIES = {"Groceries & Gourmet", "Beauty & Personal Care", "Health", "Pet Supplies"}

# category -> {subcategory: product nouns}
TAXONOMY: dict[str, dict[str, list[str]]] = {
    "Electronics": {
        "Smartphones": ["Smartphone", "5G Smartphone", "Foldable Phone"],
        "Laptops": ["Laptop", "Ultrabook", "Gaming Laptop"],
        "Tablets": ["Tablet", "Drawing Tablet", "Kids Tablet"],
        "Headphones": ["Wireless Headphones", "Noise-Cancelling Headphones", "Earbuds", "Sports Earphones"],
        "Smartwatches": ["Smartwatch", "Fitness Tracker", "GPS Watch"],
        "Cameras": ["Mirrorless Camera", "Action Camera", "Instant Camera"],
        "Monitors": ["Monitor", "Gaming Monitor", "Office Monitor"],
        "Printers": ["Inkjet Printer", "Laser Printer", "Photo Printer"],
        "Smart Home": ["Smart Speaker", "Smart Plug", "Video Doorbell", "Smart Bulb"],
    },
    "Fashion - Women": {
        "Tops": ["Linen Blouse", "Cotton T-Shirt", "Knit Cardigan"],
        "Bottoms": ["High-Waist Jeans", "Pleated Skirt", "Wide-Leg Trousers"],
        "Dresses": ["Midi Dress", "Wrap Dress", "Maxi Dress"],
        "Outerwear": ["Trench Coat", "Denim Jacket", "Puffer Jacket"],
        "Footwear": ["Ballet Flats", "Running Shoes", "Ankle Boots"],
        "Handbags": ["Tote Bag", "Crossbody Bag", "Leather Clutch"],
        "Accessories": ["Silk Scarf", "Sunglasses", "Leather Belt"],
    },
    "Fashion - Men": {
        "Tops": ["Oxford Shirt", "Polo Shirt", "Crew T-Shirt", "Hoodie"],
        "Bottoms": ["Chino Trousers", "Slim Jeans", "Cargo Shorts"],
        "Outerwear": ["Bomber Jacket", "Rain Jacket", "Wool Overcoat"],
        "Footwear": ["Leather Sneakers", "Trail Shoes", "Derby Shoes"],
        "Accessories": ["Leather Wallet", "Analog Watch", "Baseball Cap"],
    },
    "Beauty & Personal Care": {
        "Skincare": ["Vitamin C Serum", "Moisturiser", "Sunscreen SPF50", "Facial Cleanser"],
        "Makeup": ["Liquid Foundation", "Matte Lipstick", "Mascara"],
        "Hair Care": ["Argan Shampoo", "Conditioner", "Hair Mask"],
        "Fragrances": ["Eau de Parfum", "Body Mist", "Cologne"],
        "Grooming Tools": ["Electric Shaver", "Hair Dryer", "Beard Trimmer"],
    },
    "Home & Kitchen": {
        "Cookware": ["Non-Stick Frying Pan", "Cast Iron Skillet", "Stock Pot"],
        "Small Appliances": ["Air Fryer", "Blender", "Coffee Maker", "Electric Kettle"],
        "Bedding": ["Cotton Bedsheet Set", "Duvet", "Memory Foam Pillow"],
        "Home Decor": ["Table Lamp", "Wall Clock", "Scented Candle"],
        "Storage & Organization": ["Storage Box", "Shoe Rack", "Drawer Organiser"],
        "Vacuum & Cleaning": ["Cordless Vacuum", "Robot Vacuum", "Steam Mop"],
    },
    "Sports & Outdoors": {
        "Fitness Equipment": ["Adjustable Dumbbells", "Resistance Bands", "Kettlebell"],
        "Yoga & Wellness": ["Yoga Mat", "Foam Roller", "Yoga Block"],
        "Cycling": ["Road Bike Helmet", "Bike Light Set", "Cycling Gloves"],
        "Camping & Hiking": ["Camping Tent", "Hiking Backpack", "Sleeping Bag"],
        "Team Sports": ["Football", "Basketball", "Badminton Racket"],
    },
    "Books": {
        "Fiction": ["Mystery Novel", "Fantasy Saga", "Literary Novel"],
        "Non-Fiction": ["Biography", "History of Asia", "Popular Science"],
        "Children": ["Picture Book", "Bedtime Stories", "Activity Book"],
        "Textbooks": ["Calculus Textbook", "Economics Textbook", "Programming Guide"],
        "Comics & Manga": ["Manga Volume", "Graphic Novel", "Comic Anthology"],
    },
    "Toys & Games": {
        "Building Sets": ["Building Bricks Set", "Magnetic Tiles", "Construction Kit"],
        "Board Games": ["Strategy Board Game", "Family Card Game", "Chess Set"],
        "Puzzles": ["1000-Piece Jigsaw", "3D Puzzle", "Brain Teaser Set"],
        "Action Figures": ["Superhero Figure", "Robot Figure", "Dinosaur Figure"],
        "STEM Toys": ["Coding Robot", "Science Kit", "Microscope Kit"],
    },
    "Groceries & Gourmet": {
        "Beverages": ["Green Tea", "Cold Brew Coffee", "Sparkling Water"],
        "Snacks": ["Trail Mix", "Potato Chips", "Dark Chocolate"],
        "Pantry Staples": ["Jasmine Rice", "Extra Virgin Olive Oil", "Soy Sauce"],
        "Breakfast": ["Granola", "Rolled Oats", "Peanut Butter"],
        "Health Foods": ["Protein Bar", "Chia Seeds", "Almond Milk"],
    },
    "Health": {
        "Supplements": ["Multivitamin", "Fish Oil", "Vitamin D3"],
        "Personal Care": ["Electric Toothbrush", "Hand Sanitiser", "Body Lotion"],
        "First Aid": ["First Aid Kit", "Adhesive Bandages", "Antiseptic Cream"],
        "Medical Devices": ["Digital Thermometer", "Blood Pressure Monitor", "Pulse Oximeter"],
    },
    "Pet Supplies": {
        "Dog": ["Dog Food", "Dog Leash", "Chew Toy"],
        "Cat": ["Cat Food", "Cat Litter", "Scratching Post"],
        "Small Pets": ["Hamster Cage", "Rabbit Hay", "Small Pet Bedding"],
        "Aquatic": ["Aquarium Filter", "Fish Food", "Aquarium Heater"],
        "Accessories": ["Pet Carrier", "Pet Bowl Set", "Grooming Brush"],
    },
    "Automotive": {
        "Car Care": ["Car Shampoo", "Microfibre Towels", "Tyre Shine"],
        "Interior Accessories": ["Phone Mount", "Seat Cushion", "Car Organiser"],
        "Exterior Accessories": ["Sunshade", "Car Cover", "Wiper Blades"],
        "Tools & Equipment": ["Tyre Inflator", "Jump Starter", "Socket Set"],
        "Oils & Fluids": ["Engine Oil", "Coolant", "Brake Fluid"],
    },
}

BRANDS: dict[str, list[str]] = {
    "Electronics": ["Voltix", "Nimbus", "Sonara", "Pixelon", "Quanta"],
    "Fashion - Women": ["Seraphine", "Lumen & Lace", "Aurelle", "Mira Studio", "Velvetta"],
    "Fashion - Men": ["AxisWear", "Northgate", "Harbor & Co", "Stride", "Tailor Row"],
    "Beauty & Personal Care": ["Glowé", "PureLeaf", "Velour", "Dermacare", "Bloom Lab"],
    "Home & Kitchen": ["CasaPure", "HearthLine", "Kitchora", "Nestwell", "Oakhaus"],
    "Sports & Outdoors": ["PeakForm", "TrailMate", "Zenflow", "Velocita", "CoreFit"],
    "Books": ["BlueCedar", "Inkwell Press", "Paperlane", "Lantern Books", "Folio House"],
    "Toys & Games": ["KidLabs", "FunFoundry", "Brickverse", "PlayQuest", "Tinker Tots"],
    "Groceries & Gourmet": ["MorningMills", "Spice Route", "GreenBasket", "Artisan Pantry", "Teabloom"],
    "Health": ["VitalEdge", "CareWell", "NutriCore", "MediSafe", "Healthify"],
    "Pet Supplies": ["PawJoy", "Whisker Co", "AquaHaven", "FurryFriends", "TailWag"],
    "Automotive": ["TorquePro", "AutoZen", "CleanRide", "DriveMax", "RoadGuard"],
}

COLOURS = ["Black", "White", "Navy", "Grey", "Sage", "Rose", "Sand", "Teal", "Charcoal", "Ivory"]
# The swatch each demo colour shows.
SWATCHES = {
    "Black": "#1c1c1c",
    "White": "#f7f7f5",
    "Navy": "#1f2a44",
    "Grey": "#8a8d91",
    "Sage": "#9caf88",
    "Rose": "#d8a1a4",
    "Sand": "#d8c3a0",
    "Teal": "#2a7f7f",
    "Charcoal": "#3a3d40",
    "Ivory": "#f3ecd9",
    "Midnight": "#191d2b",
    "Silver": "#c9ccd1",
    "Blue": "#4f7cac",
}

# Products of these subcategories are sold in variants in the demo shop: an option's values
# in order, with a price step per value where it changes the price (storage does).
CLOTHING_SIZES = ["XS", "S", "M", "L", "XL"]
SHOE_SIZES = ["38", "39", "40", "41", "42", "43", "44", "45"]
STORAGE = [("128GB", 0), ("256GB", 100), ("512GB", 250)]
VARIANT_MATRICES: dict[tuple[str, str], str] = {
    **{
        (cat, sub): "clothing"
        for cat in ("Fashion - Women", "Fashion - Men")
        for sub in ("Tops", "Bottoms", "Dresses", "Outerwear")
    },
    ("Fashion - Women", "Footwear"): "shoes",
    ("Fashion - Men", "Footwear"): "shoes",
    ("Electronics", "Smartphones"): "storage",
    ("Electronics", "Tablets"): "storage",
}

REVIEW_PHRASES = {
    5: ("Excellent", "Exactly what I hoped for — great quality and fast delivery."),
    4: ("Very good", "Does the job well. A small niggle or two but I would buy again."),
    3: ("Okay", "Average. Works as described but nothing special for the price."),
    2: ("Disappointing", "Quality was lower than expected and it feels a bit flimsy."),
    1: ("Not for me", "Stopped working properly after a week. I would not recommend it."),
}
