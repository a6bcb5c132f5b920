"""Item loaders: which processor cleans which field. Selectors live in kompas_crawler.pages."""

from __future__ import annotations

from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst

from kompas_crawler import processors as p
from kompas_crawler.items import Article
from kompas_crawler.urls import article_id, canonical_url


class ArticleLoader(ItemLoader):
    """Fills an :class:`Article`; add values from the most to the least trusted source.

    Scalars keep the first value that survives cleaning. Lists gather every source, in order,
    without repeats. Timestamps keep the first (most precise) reading and log disagreements.
    """

    default_item_class = Article
    default_input_processor = MapCompose(p.clean_text)
    default_output_processor = TakeFirst()

    url_in = MapCompose(canonical_url)
    article_id_in = MapCompose(article_id)

    title_in = MapCompose(p.strip_site_suffix, p.strip_page_suffix)

    # Add timestamp sources from the most to the least precise (seconds before minutes).
    published_at_in = MapCompose(p.utc_datetime)
    published_at_out = Compose(lambda moments: p.most_precise(moments, "published_at"))
    updated_at_in = MapCompose(p.utc_datetime)
    updated_at_out = Compose(lambda moments: p.most_precise(moments, "updated_at"))
    fetched_at_in = MapCompose(p.utc_datetime)

    writers_in = MapCompose(p.split_names)
    writers_out = Compose(p.unique)
    editors_in = MapCompose(p.split_names)
    editors_out = Compose(p.unique)
    sources_in = MapCompose(p.split_sources)
    sources_out = Compose(p.unique)
    tags_in = MapCompose(p.split_tags)
    tags_out = Compose(p.unique)

    dateline_in = MapCompose(p.dateline)
    body_in = MapCompose(p.clean_text)
    body_out = Compose(p.join_paragraphs)
    related_urls_in = MapCompose(canonical_url)
    related_urls_out = Compose(p.unique)

    image_url_in = MapCompose(p.image_url)
    word_count_in = Identity()
