import logging

from celery import shared_task

from . import services
from .datasets import DatasetError

log = logging.getLogger(__name__)


@shared_task
def train_models_task() -> dict:
    """Nightly: retrain both models from the shop's data and re-predict customers' categories."""
    versions = []
    for train in (services.train_category_model, services.train_association_model):
        try:
            versions.append(train().version)
        except DatasetError as exc:  # a young shop: keep serving what we have (or popularity)
            log.warning("Recommendation training skipped: %s", exc)
    return {"versions": versions, "repredicted": services.repredict_all()}
