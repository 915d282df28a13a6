from auroramart.catalog.views import render_product_list

from .selectors import normalise_query, search_products


def results(request):
    query = normalise_query(request.GET.get("q"))
    title = f"Results for “{query}”" if query else "Search"
    return render_product_list(
        request,
        title=title,
        base=search_products(query),
        breadcrumbs=[("Search", None)],
        extra={"query": query},
    )
