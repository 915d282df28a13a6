from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator


def paginate(queryset, page_number, per_page: int):
    """A page of results; an out-of-range or malformed page number gives the nearest real page."""
    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(page_number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)
