"""Tax invoices and credit notes: their numbers, gapless per year, and their PDFs (ReportLab).

An order's invoice number is taken in the transaction that marks it paid, a credit note's in
the one that makes it, from a `DocumentSequence` row locked for the purpose: a rollback gives
the number back, so the year's numbers have no gaps (INV-2026-000001, CN-2026-000001).

The number is the last thing such a transaction takes. The year's row is one that every
confirmation (or every credit note) needs, and it stays locked until the commit: taken early,
it would hold each of them behind the whole of another's work, and a transaction holding it
while waiting for a row another holds (a customer's points, a variant's stock) could deadlock
with one that holds that row and waits for the number. After it, the caller writes only rows it
has locked already and new rows (the order itself, the confirmation email), so it waits for
nothing while it holds the sequence.
The PDF is drawn from the order as it is, whenever it is asked for (and attached to the
confirmation email when that is sent), so it never disagrees with the order page.
"""

from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from auroramart.core.money import format_money

from .models import CreditNote, DocumentSequence, Order

PREFIX = {"invoice": "INV", "credit_note": "CN"}


def _sequence(kind: str, year: int) -> DocumentSequence:
    """The year's sequence row, locked until the caller's transaction ends."""
    sequence = DocumentSequence.objects.select_for_update().filter(kind=kind, year=year).first()
    if sequence is None:
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(kind=kind, year=year)
        except IntegrityError:  # the year's first document, made by a concurrent request
            pass
        sequence = DocumentSequence.objects.select_for_update().get(kind=kind, year=year)
    return sequence


def next_number(kind: str, when) -> str:
    """The next number of a kind of document in the year of `when`; call inside the
    transaction that makes the document."""
    year = timezone.localtime(when).year
    with transaction.atomic(savepoint=False):
        last = _take_next(kind, year)
        if last is None:  # the year's first document
            _sequence(kind, year)
            last = _take_next(kind, year)
    return f"{PREFIX[kind]}-{year}-{last:06d}"


def _take_next(kind: str, year: int) -> int | None:
    """Move the year's sequence on by one and return its new last number, in one statement
    (#23: the lock and the save were two, and an instance); the UPDATE locks the row until the
    caller's transaction ends, as `_sequence`'s lock does. None while the year has no row."""
    alias = router.db_for_write(DocumentSequence)
    with connections[alias].cursor() as cursor:
        cursor.execute(_take_next_statement(alias), [kind, year])
        row = cursor.fetchone()
    return row[0] if row else None


@lru_cache(maxsize=4)
def _take_next_statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = DocumentSequence._meta
    last, kind, year = (quote(meta.get_field(name).column) for name in ("last", "kind", "year"))
    # Names from the model's metadata; the kind and the year are bound parameters.
    return f"UPDATE {quote(meta.db_table)} SET {last} = {last} + 1 WHERE {kind} = %s AND {year} = %s RETURNING {last}"  # noqa: S608


def number_invoice(order: Order) -> None:
    """Give an order being paid its invoice number; the caller saves the order with it (one
    UPDATE for the number and the paid status together, #23)."""
    if not order.invoice_number:
        order.invoice_number = next_number("invoice", order.paid_at or timezone.now())


def number_credit_note(credit: CreditNote) -> None:
    if not credit.document_number:
        credit.document_number = next_number("credit_note", credit.created_at)
        CreditNote.objects.filter(pk=credit.pk).update(document_number=credit.document_number)


def number_all() -> int:
    """Number paid orders and credit notes that have none yet (history loaded in bulk), in
    the order they were paid or made, a year's sequence at a time."""
    done = 0
    with transaction.atomic():
        for kind, rows, when, field in (
            (
                "invoice",
                Order.objects.filter(invoice_number="", paid_at__isnull=False),
                "paid_at",
                "invoice_number",
            ),
            ("credit_note", CreditNote.objects.filter(document_number=""), "created_at", "document_number"),
        ):
            pending = list(rows.order_by(when, "pk").only("pk", when))
            for year in sorted({timezone.localtime(getattr(r, when)).year for r in pending}):
                sequence = _sequence(kind, year)
                batch = [r for r in pending if timezone.localtime(getattr(r, when)).year == year]
                for row in batch:
                    sequence.last += 1
                    setattr(row, field, f"{PREFIX[kind]}-{year}-{sequence.last:06d}")
                type(batch[0]).objects.bulk_update(batch, [field], batch_size=2000)
                sequence.save(update_fields=["last"])
                done += len(batch)
    return done


# --- PDFs ----------------------------------------------------------------------------------

STYLES = getSampleStyleSheet()
SMALL = ParagraphStyle("small", parent=STYLES["Normal"], fontSize=8.5, leading=11)
CELL = ParagraphStyle("cell", parent=STYLES["Normal"], fontSize=9.5, leading=12)
RIGHT = ParagraphStyle("right", parent=CELL, alignment=2)


def _money(amount: Decimal) -> str:
    return format_money(amount).replace("−", "-")  # the PDF's standard fonts have no U+2212


def _p(text: str, style=CELL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _header(title: str, rows: list[tuple[str, str]]) -> Table:
    shop = Paragraph(
        f"<b>{escape(settings.SHOP_LEGAL_NAME)}</b><br/>{escape(settings.SHOP_ADDRESS)}<br/>"
        f"{escape(settings.SHOP_TAX_LABEL)} {escape(settings.SHOP_TAX_NUMBER)}",
        CELL,
    )
    facts = "<br/>".join(f"{escape(k)}: <b>{escape(v)}</b>" for k, v in rows)
    right = Paragraph(f"<font size=16><b>{escape(title)}</b></font><br/><br/>{facts}", RIGHT)
    table = Table([[shop, right]], colWidths=[95 * mm, 85 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _lines_table(rows: list[list], totals: list[tuple[str, str]]) -> Table:
    data = [[_p("Item"), _p("Qty", RIGHT), _p("Unit price", RIGHT), _p("Amount", RIGHT)]] + rows
    for label, amount in totals:
        data.append(["", "", _p(label, RIGHT), _p(amount, RIGHT)])
    table = Table(data, colWidths=[95 * mm, 15 * mm, 35 * mm, 35 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, len(rows)), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _build(story: list, title: str) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=settings.SHOP_LEGAL_NAME,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    document.build(story)
    return buffer.getvalue()


def _tax_note(order: Order) -> list[tuple[str, str]]:
    prefix = "Includes " if order.prices_include_tax else ""
    lines = [
        (f"{prefix}{t['label']} on {_money(Decimal(t['taxable']))}", _money(Decimal(t["tax"])))
        for t in order.tax_lines
    ]
    if not lines and order.gst_included:
        lines = [("Includes GST", _money(order.gst_included))]
    return lines


def invoice_pdf(order: Order) -> bytes:
    """The tax invoice of a paid order."""
    title = f"Tax invoice {order.invoice_number or order.number}"
    facts = [
        ("Invoice", order.invoice_number or "(not yet paid)"),
        ("Date", f"{timezone.localtime(order.paid_at or order.placed_at):%d %b %Y}"),
        ("Order", order.number),
    ]
    rows = [
        [
            _p(item.display_name),
            _p(item.quantity, RIGHT),
            _p(_money(item.unit_price), RIGHT),
            _p(_money(item.line_total), RIGHT),
        ]
        for item in order.items.all()
    ]
    totals = [("Subtotal", _money(order.subtotal))]
    if order.discount_total:
        totals.append(("Discounts", "-" + _money(order.discount_total)))
    if order.points_discount:
        totals.append((f"{order.points_redeemed} points", "-" + _money(order.points_discount)))
    totals.append((order.shipping_name or "Delivery", _money(order.shipping_fee)))
    if not order.prices_include_tax:
        totals += _tax_note(order)
    totals.append(("Total paid", _money(order.total)))
    if order.prices_include_tax:
        totals += _tax_note(order)
    story = [
        _header("Tax invoice", facts),
        Spacer(1, 8 * mm),
        Paragraph(
            "<b>Billed and delivered to</b><br/>" + "<br/>".join(escape(x) for x in order.shipping_lines()),
            CELL,
        ),
        Spacer(1, 6 * mm),
        _lines_table(rows, totals),
        Spacer(1, 8 * mm),
        _p(
            "Tax is worked out per line on what each line was paid after discounts, rounded to the cent. "
            f"Thank you for shopping with {settings.SHOP_NAME}.",
            SMALL,
        ),
    ]
    return _build(story, title)


def credit_note_pdf(credit: CreditNote) -> bytes:
    order = credit.order
    number = credit.document_number or credit.number
    facts = [
        ("Credit note", number),
        ("Date", f"{timezone.localtime(credit.created_at):%d %b %Y}"),
        ("Order", order.number),
        ("Invoice", order.invoice_number or "-"),
    ]
    rows = [
        [
            _p(line.get("name", "")),
            _p(line.get("quantity", ""), RIGHT),
            _p("", RIGHT),
            _p(_money(Decimal(str(line.get("amount", "0")))), RIGHT),
        ]
        for line in credit.lines
    ]
    totals = []
    if credit.merchandise:
        totals.append(("Merchandise", _money(credit.merchandise)))
    if credit.shipping:
        totals.append(("Delivery", _money(credit.shipping)))
    totals.append(("Total credited", _money(credit.amount)))
    if credit.gst_included:
        totals.append(("Includes tax", _money(credit.gst_included)))
    story = [
        _header("Credit note", facts),
        Spacer(1, 8 * mm),
        Paragraph("<b>Credited to</b><br/>" + "<br/>".join(escape(x) for x in order.shipping_lines()), CELL),
        Spacer(1, 6 * mm),
        _p(f"{credit.get_kind_display()}: {credit.reason}" if credit.reason else credit.get_kind_display()),
        Spacer(1, 3 * mm),
        _lines_table(rows, totals),
        Spacer(1, 6 * mm),
        _p("Refunded to the card the order was paid with.", SMALL),
    ]
    return _build(story, f"Credit note {number}")


def invoice_attachment(*, order: str) -> tuple[str, bytes, str]:
    found = Order.objects.prefetch_related("items").get(number=order)
    return f"{found.invoice_number or found.number}.pdf", invoice_pdf(found), "application/pdf"


def credit_note_attachment(*, credit_note: str) -> tuple[str, bytes, str]:
    credit = CreditNote.objects.select_related("order").get(number=credit_note)
    return f"{credit.document_number or credit.number}.pdf", credit_note_pdf(credit), "application/pdf"
