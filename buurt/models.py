"""Import every feature's tables, so that metadata and migrations see all."""

from buurt.accounts import models as accounts_models
from buurt.events import models as events_models
from buurt.events import notice_models as events_notice_models
from buurt.inventory import models as inventory_models
from buurt.threats import models as threats_models

__all__ = ["accounts_models", "events_models", "events_notice_models",
           "inventory_models", "threats_models"]
