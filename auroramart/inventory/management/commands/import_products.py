from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from auroramart.inventory.importer import ImportFileError, import_products


class Command(BaseCommand):
    help = (
        "Import products from an AuroraMart products CSV (SKU code, Product name, ...). "
        "Rows are matched by SKU: a re-import updates, never duplicates. "
        "Any invalid row stops the whole import unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the good rows and report the bad ones"
        )

    def handle(self, *args, file: Path, dry_run: bool, skip_invalid: bool, **opts):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            result = import_products(data, dry_run=dry_run, skip_invalid=skip_invalid)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if result.errors and not skip_invalid:
            raise CommandError(
                f"{len(result.errors)} invalid row(s); nothing was imported. "
                "Fix them, or use --skip-invalid to import the rest."
            )
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {file.name} ({result.encoding}): {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged, {result.skipped} skipped; "
                f"{result.categories_created} new categories, "
                f"{result.subcategories_created} new subcategories."
            )
        )
