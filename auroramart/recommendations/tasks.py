from celery import shared_task

from . import services


@shared_task
def train_models_task() -> dict:
    """Nightly: retrain both models from the shop's data and re-predict customers' categories."""
    versions = [services.train_category_model().version, services.train_association_model().version]
    return {"versions": versions, "repredicted": services.repredict_all()}
