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

    # Every field is wired here explicitly: a field left to the defaults makes itemloaders look
    # for processors in the dataclass field metadata on every add_value, a visible cost per page.
    url_in = MapCompose(canonical_url)
    url_out = TakeFirst()
    article_id_in = MapCompose(article_id)
    article_id_out = TakeFirst()
    title_in = MapCompose(p.strip_site_suffix, p.strip_page_suffix)
    title_out = TakeFirst()

    # Add timestamp sources from the most to the least precise (seconds before minutes).
    published_at_in = MapCompose(p.utc_datetime)
    published_at_out = Compose(lambda moments: p.most_precise(moments, "published_at"))
    updated_at_in = MapCompose(p.utc_datetime)
    updated_at_out = Compose(lambda moments: p.most_precise(moments, "updated_at"))
    fetched_at_in = MapCompose(p.utc_datetime)
    fetched_at_out = TakeFirst()

    writers_in = MapCompose(p.split_names)
    writers_out = Compose(p.unique)
    editors_in = MapCompose(p.split_names)
    editors_out = Compose(p.unique)
    sources_in = MapCompose(p.split_sources)
    sources_out = Compose(p.unique)

    section_in = MapCompose(p.clean_text)
    section_out = TakeFirst()
    subsection_in = MapCompose(p.clean_text)
    subsection_out = TakeFirst()
    tags_in = MapCompose(p.split_tags)
    tags_out = Compose(p.unique)

    dateline_in = MapCompose(p.dateline)
    dateline_out = TakeFirst()
    body_in = MapCompose(p.clean_text)
    body_out = Compose(p.join_paragraphs)
    related_urls_in = MapCompose(canonical_url)
    related_urls_out = Compose(p.unique)

    image_url_in = MapCompose(p.image_url)
    image_url_out = TakeFirst()
    image_caption_in = MapCompose(p.clean_text)
    image_caption_out = TakeFirst()
    image_credit_in = MapCompose(p.clean_text)
    image_credit_out = TakeFirst()
    word_count_in = Identity()
    word_count_out = TakeFirst()
