"""Realistic price ranges per subcategory for the demo shop, derived from the AuroraMart product
file (b2c_products_500.csv: the 10th percentile, median and 90th percentile of "Unit price" per
subcategory, and how many products it has). Only these figures are kept, not the file;
`derive(path)` recomputes them (tests/test_sample_data.py checks they still match)."""

import csv
import statistics
from collections import defaultdict
from decimal import Decimal

# (category, subcategory): (p10, median, p90, products in the file), in SGD.
PRICE_RANGES: dict[tuple[str, str], tuple[float, float, float, int]] = {
    ("Automotive", "Car Care"): (19.95, 43.90, 103.99, 11),
    ("Automotive", "Exterior Accessories"): (40.00, 245.95, 348.00, 9),
    ("Automotive", "Interior Accessories"): (17.99, 75.50, 217.95, 8),
    ("Automotive", "Oils & Fluids"): (7.95, 87.00, 131.00, 7),
    ("Automotive", "Tools & Equipment"): (122.90, 459.44, 678.95, 12),
    ("Beauty & Personal Care", "Fragrances"): (34.95, 137.47, 301.00, 12),
    ("Beauty & Personal Care", "Grooming Tools"): (36.95, 133.99, 233.90, 11),
    ("Beauty & Personal Care", "Hair Care"): (28.99, 164.00, 202.90, 8),
    ("Beauty & Personal Care", "Makeup"): (11.00, 122.90, 158.95, 13),
    ("Beauty & Personal Care", "Skincare"): (25.95, 100.99, 161.00, 9),
    ("Books", "Children"): (6.00, 21.47, 28.99, 10),
    ("Books", "Comics & Manga"): (11.95, 15.95, 21.90, 6),
    ("Books", "Fiction"): (11.95, 24.00, 39.99, 13),
    ("Books", "Non-Fiction"): (11.95, 25.97, 32.99, 4),
    ("Books", "Textbooks"): (26.00, 70.43, 142.95, 14),
    ("Electronics", "Cameras"): (577.00, 1442.95, 1442.95, 3),
    ("Electronics", "Headphones"): (141.90, 194.99, 194.99, 3),
    ("Electronics", "Laptops"): (1678.00, 1678.00, 1678.00, 1),
    ("Electronics", "Monitors"): (258.99, 316.90, 316.90, 3),
    ("Electronics", "Printers"): (203.95, 268.00, 268.00, 3),
    ("Electronics", "Smart Home"): (46.00, 152.40, 204.90, 4),
    ("Electronics", "Smartphones"): (555.90, 1242.90, 1532.00, 7),
    ("Electronics", "Smartwatches"): (164.90, 514.50, 694.00, 4),
    ("Electronics", "Tablets"): (407.90, 777.92, 838.95, 4),
    ("Fashion - Men", "Accessories"): (29.90, 115.90, 190.00, 7),
    ("Fashion - Men", "Bottoms"): (15.95, 162.94, 185.99, 6),
    ("Fashion - Men", "Footwear"): (45.95, 243.90, 345.90, 9),
    ("Fashion - Men", "Outerwear"): (42.99, 303.00, 328.95, 7),
    ("Fashion - Men", "Tops"): (10.99, 36.00, 102.95, 9),
    ("Fashion - Women", "Accessories"): (15.99, 164.47, 211.95, 4),
    ("Fashion - Women", "Bottoms"): (36.90, 133.95, 175.00, 9),
    ("Fashion - Women", "Dresses"): (20.90, 208.49, 214.99, 4),
    ("Fashion - Women", "Footwear"): (90.00, 288.49, 385.90, 6),
    ("Fashion - Women", "Handbags"): (61.95, 90.97, 109.99, 4),
    ("Fashion - Women", "Outerwear"): (83.00, 364.90, 456.95, 9),
    ("Fashion - Women", "Tops"): (10.95, 79.50, 142.95, 8),
    ("Groceries & Gourmet", "Beverages"): (3.00, 18.99, 29.99, 9),
    ("Groceries & Gourmet", "Breakfast"): (4.00, 24.90, 27.90, 5),
    ("Groceries & Gourmet", "Health Foods"): (6.99, 44.98, 89.90, 10),
    ("Groceries & Gourmet", "Pantry Staples"): (3.00, 10.99, 21.99, 7),
    ("Groceries & Gourmet", "Snacks"): (3.00, 28.49, 34.99, 8),
    ("Health", "First Aid"): (24.90, 37.95, 47.90, 11),
    ("Health", "Medical Devices"): (20.95, 227.90, 258.99, 7),
    ("Health", "Personal Care"): (15.99, 37.00, 62.00, 13),
    ("Health", "Supplements"): (13.95, 92.95, 157.00, 11),
    ("Home & Kitchen", "Bedding"): (32.95, 62.44, 105.00, 12),
    ("Home & Kitchen", "Cookware"): (20.99, 102.43, 314.99, 10),
    ("Home & Kitchen", "Home Decor"): (10.95, 170.95, 242.99, 9),
    ("Home & Kitchen", "Small Appliances"): (88.90, 282.00, 521.90, 7),
    ("Home & Kitchen", "Storage & Organization"): (30.99, 119.95, 194.90, 8),
    ("Home & Kitchen", "Vacuum & Cleaning"): (103.99, 295.95, 473.90, 5),
    ("Pet Supplies", "Accessories"): (13.90, 94.95, 112.90, 7),
    ("Pet Supplies", "Aquatic"): (20.99, 114.90, 243.99, 5),
    ("Pet Supplies", "Cat"): (142.90, 193.00, 203.00, 4),
    ("Pet Supplies", "Dog"): (69.90, 137.95, 202.95, 7),
    ("Pet Supplies", "Small Pets"): (9.00, 74.99, 141.99, 9),
    ("Sports & Outdoors", "Camping & Hiking"): (17.90, 308.97, 507.95, 8),
    ("Sports & Outdoors", "Cycling"): (48.95, 535.95, 1061.99, 10),
    ("Sports & Outdoors", "Fitness Equipment"): (40.90, 490.97, 837.90, 12),
    ("Sports & Outdoors", "Team Sports"): (17.00, 116.95, 138.95, 6),
    ("Sports & Outdoors", "Yoga & Wellness"): (23.00, 55.00, 133.99, 5),
    ("Toys & Games", "Action Figures"): (9.90, 66.00, 69.95, 5),
    ("Toys & Games", "Board Games"): (32.95, 90.50, 137.90, 6),
    ("Toys & Games", "Building Sets"): (28.90, 132.44, 209.99, 10),
    ("Toys & Games", "Puzzles"): (12.00, 38.00, 45.00, 4),
    ("Toys & Games", "STEM Toys"): (22.00, 148.95, 214.90, 9),
}


def derive(path) -> dict[tuple[str, str], tuple[float, float, float, int]]:
    prices: dict[tuple[str, str], list[float]] = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace", newline="") as file:
        for row in csv.DictReader(file):
            # The file spells "Non-Fiction" with a character that did not survive its encoding.
            sub = row["Product Subcategory"].replace("\ufffd", "-").replace("?", "-")
            prices[(row["Product Category"], sub)].append(float(row["Unit price"]))
    table = {}
    for key, values in sorted(prices.items()):
        values.sort()
        n = len(values)

        def at(p, values=values, n=n):
            return values[min(n - 1, int(p * (n - 1)))]

        table[key] = (round(at(0.1), 2), round(statistics.median(values), 2), round(at(0.9), 2), n)
    return table


def price_range(category: str, subcategory: str) -> tuple[Decimal, Decimal]:
    """The band to draw a demo price from. With few products in the file the band is widened
    around its median (one laptop is not a range)."""
    low, median, high, n = PRICE_RANGES[(category, subcategory)]
    if n < 5 or high <= low:
        low, high = min(low, median * 0.6), max(high, median * 1.5)
    return Decimal(str(low)), Decimal(str(high))
