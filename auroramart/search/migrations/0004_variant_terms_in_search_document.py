"""On PostgreSQL: the search document also carries the option values a product's variants
are sold in (catalog_product.variant_terms: "Navy Black S M L"), so "navy hoodie" and
"256GB" find it; and variant SKUs are indexed for SKU search."""

from django.db import migrations

from auroramart.core.migration_helpers import sql_statements

FORWARD = """
CREATE OR REPLACE FUNCTION auroramart_product_search_document() RETURNS trigger AS $$
DECLARE
  brand_name text;
  category_name text;
  subcategory_name text;
BEGIN
  SELECT name INTO brand_name FROM catalog_brand WHERE id = NEW.brand_id;
  SELECT name INTO category_name FROM catalog_category WHERE id = NEW.category_id;
  SELECT name INTO subcategory_name FROM catalog_subcategory WHERE id = NEW.subcategory_id;
  NEW.search_document :=
      setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
   || setweight(to_tsvector('simple', coalesce(NEW.name, '')), 'A')
   || setweight(to_tsvector('simple', coalesce(brand_name, '')), 'B')
   || setweight(to_tsvector('english', coalesce(NEW.variant_terms, '')), 'B')
   || setweight(to_tsvector('simple', coalesce(NEW.variant_terms, '')), 'B')
   || setweight(to_tsvector('english', coalesce(subcategory_name, '') || ' ' || coalesce(category_name, '')), 'C')
   || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS product_search_document ON catalog_product;
CREATE TRIGGER product_search_document
  BEFORE INSERT OR UPDATE OF name, description, brand_id, category_id, subcategory_id, variant_terms
  ON catalog_product FOR EACH ROW EXECUTE FUNCTION auroramart_product_search_document();
UPDATE catalog_product SET name = name WHERE variant_terms <> '';
CREATE INDEX IF NOT EXISTS variant_sku_upper ON catalog_productvariant (upper(sku) text_pattern_ops);
"""

BACKWARD = """
DROP INDEX IF EXISTS variant_sku_upper;
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in sql_statements(sql):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_alter_productview_created_at"),
        ("catalog", "0004_default_variants"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
