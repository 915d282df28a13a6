"""Model files in the "models" storage (the local disk, or object storage shared by every
node: settings.STORAGES) plus a ModelVersion row each. The newest version whose
file loads and matches its checksum is served; a process keeps loaded models
in memory and notices a newer version through the cache (no restart). When no
model can be loaded the caller falls back to popularity, and we log why."""

import hashlib
import io
import logging
import platform
import threading

import joblib
import numpy
import scipy
import sklearn
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone

from auroramart.core import key_mirror, shared_reads

from .models import ModelVersion

log = logging.getLogger(__name__)
CURRENT_KEY = "recs:current:{kind}"
CURRENT_TTL = 60  # seconds a process may serve an older version after a retrain elsewhere
_loaded: dict[str, tuple] = {}  # kind -> (ModelVersion pk, model, ModelVersion)
_failed: dict[str, int] = {}  # kind -> pk whose file would not load (warned once per process)
_lock = threading.Lock()
for _kind in ModelVersion.Kind.values:  # which version is current: read by every page that recommends
    shared_reads.share(lambda kind=_kind: CURRENT_KEY.format(kind=kind))
key_mirror.mirror(CURRENT_KEY.format(kind=""))


def storage() -> Storage:
    return storages["models"]


def library_versions() -> dict:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }


def save(
    kind: str,
    model,
    *,
    source: str,
    data_size: dict,
    parameters: dict,
    metrics: dict,
    seconds: float,
    challenger: bool = False,
):
    now = timezone.now()
    version = f"{kind}-{now:%Y%m%d-%H%M%S-%f}"
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    data = buffer.getvalue()
    file_name = storage().save(f"{version}.joblib", ContentFile(data))
    record = ModelVersion.objects.create(
        kind=kind,
        version=version,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        trained_at=now,
        source=source,
        data_size=data_size,
        parameters=parameters,
        metrics=metrics,
        library_versions=library_versions(),
        training_seconds=round(seconds, 3),
        is_challenger=challenger,
    )
    shared_reads.delete(CURRENT_KEY.format(kind=kind))
    return record


def _load_file(record: ModelVersion):
    with storage().open(record.file_name, "rb") as file:  # FileNotFoundError (or the store's) when missing
        data = file.read()
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise ValueError("checksum does not match the metadata")
    return joblib.load(io.BytesIO(data))


def current(kind: str):
    """(ModelVersion, model) of the newest loadable version, or (None, None)."""
    key = CURRENT_KEY.format(kind=kind)
    pk = shared_reads.get(key)
    if pk is None:
        served = ModelVersion.objects.filter(kind=kind, is_challenger=False)
        pk = served.values_list("pk", flat=True).first() or 0
        shared_reads.store(key, pk, CURRENT_TTL)
    if not pk:
        return None, None
    held = _loaded.get(kind)
    if held and held[0] == pk:
        return held[2], held[1]
    if _failed.get(kind) == pk:
        return None, None
    with _lock:
        record = ModelVersion.objects.filter(pk=pk).first()
        if record is None:
            shared_reads.delete(key)
            return None, None
        try:
            model = _load_file(record)
        except Exception as exc:  # a missing, truncated or tampered file must never break a page
            log.warning(
                "Recommendation model %s cannot be loaded (%s); serving popularity instead.", record, exc
            )
            _loaded.pop(kind, None)
            _failed[kind] = pk
            return None, None
        _loaded[kind] = (pk, model, record)
        return record, model


_pinned: dict[int, object] = {}  # ModelVersion pk -> model, for the challengers of A/B tests


def load(record: ModelVersion):
    """One given version's model (an A/B test's challenger), or None when its file will not load."""
    if record.pk not in _pinned:
        try:
            _pinned[record.pk] = _load_file(record)
        except Exception as exc:  # the experiment's arm B falls back to the served model
            log.warning(
                "Challenger model %s cannot be loaded (%s); arm B gets the served model.", record, exc
            )
            return None
    return _pinned[record.pk]


def forget() -> None:
    """Drop the in-process models (tests, and after deleting files)."""
    _loaded.clear()
    _failed.clear()
    _pinned.clear()


def check_models() -> dict:
    """Readiness (core/health.py): which model version each kind serves, or that it falls back."""
    state = {}
    for kind in ModelVersion.Kind.values:
        record, model = current(kind)
        state[kind] = record.version if model is not None else "fallback: popularity"
    return {"ok": all(not v.startswith("fallback") for v in state.values()), **state}
