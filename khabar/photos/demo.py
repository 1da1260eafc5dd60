"""Demo photos, drawn locally with Pillow and captioned in Arabic through embedded IPTC.

``load_demo_photos()`` is idempotent: each photo is keyed by a ``demo:photo:`` source id,
and a story that already has a lead photo keeps it.
"""

from __future__ import annotations

from khabar.articles.models import Article
from khabar.photos import actions
from khabar.photos.models import Photo, Role, StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.site import actors

PHOTOS = [
    ("جانب من المباحثات بين الوفدين في مقر وزارة الخارجية", "أحمد الحسيني"),
    ("مشهد عام لوسط العاصمة عند الغروب", "مريم رضائي"),
    ("عمال في أحد الموانئ التجارية خلال تفريغ الحاويات", "علي الموسوي"),
    ("جمهور يتابع عرضاً في افتتاح المهرجان الثقافي", "زينب كريمي"),
    ("لاعبو المنتخب خلال حصة تدريبية استعداداً للمباراة", "حسين جعفري"),
    ("قاعة مجلس الأمن الدولي قبيل بدء الجلسة", "سارة الهاشمي"),
    ("حقول القمح في السهول الشمالية قبيل موسم الحصاد", "محمد نوري"),
    ("مؤتمر صحفي للمتحدث باسم الحكومة", "فاطمة صادقي"),
    ("سوق شعبي مزدحم في المدينة القديمة", "رضا أحمدي"),
    ("منشآت الطاقة على ساحل الخليج", "ليلى حسن"),
]
AGENCY = "وكالة خبر"


def _photo(index: int, caption: str, credit: str) -> Photo:
    source_id = f"demo:photo:{index}"
    existing = Photo.objects.filter(source_id=source_id).first()
    if existing is not None:
        return existing
    data = sample_jpeg(
        1600,
        1000,
        seed=100 + index,
        caption=caption,
        credit=credit,
        copyright_holder=AGENCY,
        keywords=["أرشيف"],
        gps=True,  # the renditions must not carry it; the demo shows they do not
        quality=80,
    )
    return actions.upload_photo(data, actor=actors.DEMO, source_id=source_id)


def load_demo_photos() -> int:
    """Make the demo photos and give each Arabic demo story a lead photo; returns links made."""
    photos = [_photo(n, caption, credit) for n, (caption, credit) in enumerate(PHOTOS, 1)]
    stories = list(
        Article.objects.filter(source_id__startswith="demo:ar:").order_by("pk").only("pk")
    )
    with_lead = set(
        StoryPhoto.objects.filter(article__in=stories, role=Role.LEAD).values_list(
            "article_id", flat=True
        )
    )
    made = 0
    for n, story in enumerate(stories):
        if story.pk in with_lead:
            continue
        story = Article.objects.get(pk=story.pk)
        actions.attach_photo(story, photos[n % len(photos)], actor=actors.DEMO)
        made += 1
        if n == 0:
            # The first story also gets a small gallery (photos are shared across stories).
            for position, photo in enumerate(photos[1:3], 1):
                actions.attach_photo(
                    story, photo, actor=actors.DEMO, role=Role.GALLERY, position=position
                )
                made += 1
    return made
