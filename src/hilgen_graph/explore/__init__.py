"""What the arms get for a mention or concept, for people: the grounding layer's link and layered
walk arranged as an :class:`~hilgen_graph.explore.explorer.Exploration` (``explorer``), drawn as
an offline interactive page (``page``, pyvis) or a layered PNG (``png``) in one colour scheme
(``style``)."""
