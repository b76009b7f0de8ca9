"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from app.author import models as author_models  # noqa: F401
from app.catalogue import models as catalogue_models  # noqa: F401
from app.certificates import models as certificate_models  # noqa: F401
from app.learners import models as learner_models  # noqa: F401
from app.progress import models as progress_models  # noqa: F401
from app.quizzes import models as quiz_models  # noqa: F401
from app.stats import models as stats_models  # noqa: F401

metadata = SQLModel.metadata
