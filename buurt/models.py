"""Import every feature's tables, so that metadata and migrations see all."""

from buurt.accounts import models as accounts_models
from buurt.inventory import models as inventory_models

__all__ = ["accounts_models", "inventory_models"]
