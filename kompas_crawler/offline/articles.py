"""An article page in its era's markup (or the half-rendered broken shell)."""

from __future__ import annotations

from kompas_crawler.offline import articles_2017_2025, articles_2026
from kompas_crawler.offline.chrome import FOOTER, HEADER, esc, head, meta
from kompas_crawler.offline.specs import ERA_2026, ArticleSpec


def render_article(
    spec: ArticleSpec, page: int | None = None, *, nesting: int = 0, drifted: bool = False
) -> str:
    """An article page: one ``page`` of a multi-page article, or (None) the whole text.

    ``nesting`` wraps the body in that many extra divs; ``drifted`` adds what a drifted page keeps
    (every meta, JSON-LD ``articleBody``) before `drift.drift_article` renames its classes.
    """
    if spec.broken:
        return render_broken(spec)
    if spec.era == ERA_2026:
        return articles_2026.render(spec, page, nesting=nesting, drifted=drifted)
    return articles_2017_2025.render(spec, page, nesting=nesting, drifted=drifted)


def render_broken(spec: ArticleSpec) -> str:
    """A 200 page whose template rendered without the article: no title, time, credit or body."""
    top = head("Kompas.com", [meta("og:type", "website", "property")], None, [])
    return f"""{top}
<body class="article">
{HEADER}
<div class="container clearfix">
  <div class="read__header"></div>
  <div class="col-bs10-7 js-read-article"><div class="read__content"><div class="clearfix">
  <!-- render error: article {esc(spec.url.rsplit("/", 2)[-2])} -->
  </div></div></div>
</div>
{FOOTER}
</body>
</html>
"""
