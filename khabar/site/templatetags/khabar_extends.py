"""``{% extends %}`` that finds its root template's blocks once (a template builtin).

Django's ``ExtendsNode`` walks the whole root template (``base.html``: its masthead, every
fragment and include in it) on every render to list its ``{% block %}`` nodes, though a
compiled template never changes: on a story page whose parts all come from the fragment
cache that walk was a twentieth of the render's CPU (issue 19). This one keeps the list on
the compiled root template, so each template object is walked once; a template loaded again
(the development loaders, a changed file) is a new object and is walked again.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode

register = template.Library()

#: Where the root's blocks are kept on its compiled ``django.template.base.Template``.
_BLOCKS = "khabar_root_blocks"


class KeptBlocksExtendsNode(ExtendsNode):
    def render(self, context: template.Context) -> Any:
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        # The root's blocks (a parent that extends another adds its own when it renders).
        blocks = getattr(compiled_parent, _BLOCKS, None)
        if blocks is None:
            blocks = _root_blocks(compiled_parent)
            setattr(compiled_parent, _BLOCKS, blocks)
        if blocks:
            block_context.add_blocks(blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)  # type: ignore[attr-defined]


def _root_blocks(compiled: Any) -> dict[str, BlockNode]:
    """As Django's ``ExtendsNode.render`` finds them: ``{}`` when the template extends
    another (its first tag after text is ``{% extends %}``)."""
    for node in compiled.nodelist:
        if not isinstance(node, TextNode):
            if isinstance(node, ExtendsNode):
                return {}
            return {n.name: n for n in compiled.nodelist.get_nodes_by_type(BlockNode)}
    return {}


@register.tag("extends")
def do_extends(parser: template.base.Parser, token: template.base.Token) -> KeptBlocksExtendsNode:
    """Django's ``{% extends %}``, its node a ``KeptBlocksExtendsNode``."""
    from django.template.loader_tags import do_extends as django_extends

    node = django_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
