import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyin.settings")
application = get_wsgi_application()

# The negative list's word segmenter loads its dictionary (about a second) in the
# background as each server process starts, not during a resident's first question.
from zhiyin.catalog.matching import segmenter_warm  # noqa: E402  # needs Django set up

threading.Thread(target=segmenter_warm, name="segmenter-warm", daemon=True).start()

# Every view module (and what they import: PDF signing, the API schemas) is imported now,
# as the process starts, not by the first request it serves (seconds on a small machine).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018  # evaluated for its import side effect
