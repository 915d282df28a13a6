import pytest
from django.core.management import CommandError, call_command

from auroramart.catalog.models import Category, Product, Subcategory
from auroramart.inventory.importer import ImportFileError, detect_encoding, import_products

pytestmark = pytest.mark.django_db

HEADER = "SKU code,Product name,Product description,Product Category,Product Subcategory,Quantity on hand,Reorder Quantity,Unit price,Product rating\n"


def csv_bytes(*rows, header=HEADER, encoding="utf-8"):
    return (header + "".join(r + "\n" for r in rows)).encode(encoding)


GOOD = [
    "TGBS-1,KidLabs Building Sets Starter,Ages 3–6 bricks,Toys & Games,Building Sets,463,109,56.95,3.8",
    "HKSA-2,CasaPure Small Appliances Set,Air fryer up to 230°C,Home & Kitchen,Small Appliances,493,86,317.95,4.8",
    "BC-3,BlueCedar Children Vol.1,Hardcover,Books,Children,353,99,21.99,3.7",
]


def test_real_products_file_imports_exactly_and_reimport_changes_nothing(shared_data):
    data = (shared_data / "b2c_products_500.csv").read_bytes()
    first = import_products(data)
    assert first.encoding == "cp1252"
    assert first.errors == [] and first.created == 500
    assert Product.objects.count() == 500
    assert Category.objects.count() == 12
    # 60 subcategory names; some ("Accessories", "Tops", ...) live under more than one category.
    assert Subcategory.objects.values("name").distinct().count() == 60
    assert Subcategory.objects.count() == 66
    assert Product.objects.filter(description__contains="Ages 3–6").exists()  # cp1252 en dash decoded
    before = list(
        Product.objects.order_by("sku").values_list("sku", "name", "price", "stock_quantity", "updated_at")
    )
    second = import_products(data)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 500)
    assert (
        list(
            Product.objects.order_by("sku").values_list(
                "sku", "name", "price", "stock_quantity", "updated_at"
            )
        )
        == before
    )


def test_cp1252_file_is_decoded():
    data = csv_bytes(*GOOD, encoding="cp1252")
    assert detect_encoding(data) == "cp1252"
    result = import_products(data)
    assert result.created == 3
    assert Product.objects.get(sku="HKSA-2").description == "Air fryer up to 230°C"
    assert Product.objects.get(sku="TGBS-1").brand.name == "KidLabs"


def test_utf8_with_bom_is_decoded():
    result = import_products(b"\xef\xbb\xbf" + csv_bytes(*GOOD))
    assert result.encoding == "utf-8-sig" and result.created == 3


def test_reimport_updates_by_sku_never_duplicates():
    import_products(csv_bytes(*GOOD))
    changed = GOOD[0].replace("56.95", "49.95").replace(",463,", ",400,")
    result = import_products(csv_bytes(changed, *GOOD[1:]))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    product = Product.objects.get(sku="TGBS-1")
    assert str(product.price) == "49.95" and product.stock_quantity == 400
    assert Product.objects.count() == 3


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported():
    data = csv_bytes(
        GOOD[0],
        "BAD-1,Thing,,Books,Fiction,5,1,abc,4",  # line 3: bad price
        GOOD[1],
        "BAD-2,Thing,,Books,Fiction,-4,1,9.99,4",  # line 5: negative stock
        "TGBS-1,Again,,Books,Fiction,5,1,9.99,4",  # line 6: duplicate SKU
        ",No sku,,Books,Fiction,5,1,9.99,4",  # line 7: empty SKU
        "BAD-3,Thing,,Books,Fiction,5,1,9.99,7",  # line 8: rating out of range
    )
    result = import_products(data)
    lines = {e.line: e.message for e in result.errors}
    assert set(lines) == {3, 5, 6, 7, 8}
    assert "Unit price is not a number" in lines[3]
    assert "must not be negative" in lines[5]
    assert "duplicate SKU TGBS-1 (first seen on line 2)" in lines[6]
    assert "SKU code is empty" in lines[7]
    assert "between 0 and 5" in lines[8]
    assert not result.written
    assert Product.objects.count() == 0 and Category.objects.count() == 0


def test_skip_invalid_imports_the_good_rows():
    result = import_products(
        csv_bytes(GOOD[0], "BAD-1,Thing,,Books,Fiction,5,1,abc,4", GOOD[2]), skip_invalid=True
    )
    assert (result.created, result.skipped) == (2, 1)
    assert set(Product.objects.values_list("sku", flat=True)) == {"TGBS-1", "BC-3"}


def test_missing_column_rejects_the_file():
    header = HEADER.replace(",Unit price", "")
    with pytest.raises(ImportFileError, match="Missing column\\(s\\): Unit price"):
        import_products(csv_bytes("A,B,C,D,E,1,2,3", header=header))


def test_dry_run_writes_nothing_but_counts():
    result = import_products(csv_bytes(*GOOD), dry_run=True)
    assert result.created == 3 and result.categories_created == 3
    assert Product.objects.count() == 0 and Category.objects.count() == 0


def test_command_reports_bad_rows_and_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes(GOOD[0], "BAD-1,Thing,,Books,Fiction,5,1,free,4"))
    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("import_products", str(path))
    assert "line 3: Unit price is not a number: 'free'" in capsys.readouterr().err
    assert Product.objects.count() == 0


def test_command_imports_and_dry_runs(tmp_path, capsys):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes(*GOOD, encoding="cp1252"))
    call_command("import_products", str(path), "--dry-run")
    assert "Would import products.csv (cp1252): 3 created" in capsys.readouterr().out
    assert Product.objects.count() == 0
    call_command("import_products", str(path))
    assert "Imported products.csv (cp1252): 3 created" in capsys.readouterr().out
    assert Product.objects.count() == 3


def test_command_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_products", str(tmp_path / "nope.csv"))


def test_the_panels_export_imports_back_unchanged(client):
    """The export writes the import's own columns (one list of them), so a merchant can
    edit prices in a spreadsheet and import the file back."""
    from auroramart.staff.services import create_staff, setup_roles

    import_products(csv_bytes(GOOD[1]))
    setup_roles()
    client.force_login(create_staff(email="boss@staff.test", password="x-long-password-1", role="Superadmin"))
    exported = b"".join(client.get("/admin-panel/products/export/").streaming_content)
    again = import_products(exported, dry_run=True)
    assert again.errors == [] and again.created == again.updated == 0 and again.unchanged == 1


VARIANT_HEADER = (
    HEADER.rstrip("\n") + ",Product handle,Option1 name,Option1 value,Option2 name,Option2 value\n"
)
HOODIE = [
    "HOOD-S-NAVY,Harbour Hoodie,Brushed fleece,Fashion - Men,Tops,4,2,59.00,4.5,HOOD,Size,S,Colour,Navy",
    "HOOD-M-NAVY,Harbour Hoodie,Brushed fleece,Fashion - Men,Tops,6,2,59.00,4.5,HOOD,Size,M,Colour,Navy",
    "HOOD-M-BLACK,Harbour Hoodie,Brushed fleece,Fashion - Men,Tops,0,2,61.00,4.5,HOOD,Size,M,Colour,Black",
    "MUG-1,Plain Mug,Stoneware,Home & Kitchen,Home Decor,9,3,12.00,4.0,,,,,",
]


def test_rows_sharing_a_handle_import_as_one_product_with_variants():
    from auroramart.catalog.models import ProductVariant
    from auroramart.inventory.models import StockMovement
    from auroramart.inventory.selectors import ledger_mismatches

    result = import_products(csv_bytes(*HOODIE, header=VARIANT_HEADER))
    assert result.errors == [] and result.created == 4
    hoodie = Product.objects.get(sku="HOOD")
    variants = {v.name: v for v in hoodie.variants.all()}
    assert set(variants) == {"Size S · Navy", "Size M · Navy", "Size M · Black"}
    assert (variants["Size M · Black"].sku, variants["Size M · Black"].price) == ("HOOD-M-BLACK", 61)
    assert list(hoodie.options.values_list("name", flat=True)) == ["Size", "Colour"]
    assert (hoodie.price, hoodie.price_max, hoodie.stock_quantity) == (59, 61, 10)
    assert Product.objects.get(sku="MUG-1").variants.get().sku == "MUG-1"
    assert ledger_mismatches() == []
    # Again, unchanged; then one variant's stock changes through the ledger.
    again = import_products(csv_bytes(*HOODIE, header=VARIANT_HEADER))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    restocked = HOODIE[2].replace(",0,2,61.00", ",5,2,61.00")
    third = import_products(csv_bytes(HOODIE[0], HOODIE[1], restocked, HOODIE[3], header=VARIANT_HEADER))
    assert (third.updated, third.unchanged) == (1, 3)
    black = ProductVariant.objects.get(sku="HOOD-M-BLACK")
    assert black.stock_quantity == 5
    assert StockMovement.objects.filter(variant=black).latest("pk").quantity == 5
    assert ledger_mismatches() == []


def test_variant_rows_that_contradict_each_other_are_reported_by_line():
    clash = HOODIE[1].replace("HOOD-M-NAVY", "HOOD-M-NAVY-2")  # line 4: the same options again
    other = (
        HOODIE[0].replace("HOOD-S-NAVY", "HOOD-XL").replace(",Colour,Navy", ",,")
    )  # line 5: one option only
    result = import_products(csv_bytes(HOODIE[0], HOODIE[1], clash, other, header=VARIANT_HEADER))
    lines = {e.line: e.message for e in result.errors}
    assert "repeats the options of line 3" in lines[4]
    assert "names other options than line 2" in lines[5]
    assert not result.written and Product.objects.count() == 0


def test_a_sku_of_another_products_variant_is_refused():
    import_products(csv_bytes(*HOODIE, header=VARIANT_HEADER))
    moved = HOODIE[0].replace(",HOOD,", ",OTHER,")
    result = import_products(csv_bytes(moved, header=VARIANT_HEADER))
    assert [str(e) for e in result.errors] == ["line 2: SKU HOOD-S-NAVY is a variant of product HOOD"]


def test_an_export_with_variants_imports_back_unchanged(client):
    from auroramart.staff.services import create_staff, setup_roles

    import_products(csv_bytes(*HOODIE, header=VARIANT_HEADER))
    setup_roles()
    client.force_login(create_staff(email="boss@staff.test", password="x-long-password-1", role="Superadmin"))
    exported = b"".join(client.get("/admin-panel/products/export/").streaming_content)
    assert b"HOOD-M-BLACK" in exported and b"Option1 name" in exported
    again = import_products(exported, dry_run=True)
    assert again.errors == [] and (again.created, again.updated, again.unchanged) == (0, 0, 4)
