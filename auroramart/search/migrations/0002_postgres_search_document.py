"""On PostgreSQL: a stored, indexed search document on every product, kept fresh
by a trigger whenever a product is written, and trigram indexes for typos.
Other databases use the portable search backend and need none of this."""

from django.db import migrations

from auroramart.core.migration_helpers import sql_statements

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE catalog_product ADD COLUMN IF NOT EXISTS search_document tsvector;

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
   || setweight(to_tsvector('english', coalesce(subcategory_name, '') || ' ' || coalesce(category_name, '')), 'C')
   || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS product_search_document ON catalog_product;
CREATE TRIGGER product_search_document BEFORE INSERT OR UPDATE OF name, description, brand_id, category_id, subcategory_id
  ON catalog_product FOR EACH ROW EXECUTE FUNCTION auroramart_product_search_document();

UPDATE catalog_product SET name = name;
CREATE INDEX IF NOT EXISTS product_search_document_gin ON catalog_product USING gin (search_document);
CREATE INDEX IF NOT EXISTS product_name_trgm ON catalog_product USING gin (lower(name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS product_sku_upper ON catalog_product (upper(sku) text_pattern_ops);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS product_search_document ON catalog_product;
DROP FUNCTION IF EXISTS auroramart_product_search_document();
DROP INDEX IF EXISTS product_search_document_gin;
DROP INDEX IF EXISTS product_name_trgm;
DROP INDEX IF EXISTS product_sku_upper;
ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_document;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for statement in sql_statements(FORWARD):
                cursor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for statement in sql_statements(BACKWARD):
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
