"""{% url %} as Django's, reversed through core.reversing (remembered per process, #23).
A built-in (settings.TEMPLATES), so it replaces Django's tag in every template; the syntax,
the `as var` form and the errors are Django's own."""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from auroramart.core.reversing import reverse_held

register = template.Library()


class HeldURLNode(URLNode):
    # Django's URLNode.render, but for the one call that reverses.
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_held(view_name, *args, current_app=current_app, **kwargs)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return HeldURLNode(node.view_name, node.args, node.kwargs, node.asvar)
