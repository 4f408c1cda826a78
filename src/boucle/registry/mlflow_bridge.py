"""The bridge to MLflow: one boucle run is one MLflow run, registered as a model version.

MLflow exceptions are translated here, once, into :class:`TrackingError`. MLflow is imported
inside the functions so that ``import boucle`` and ``boucle --help`` stay fast.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from boucle.errors import TrackingError

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "Registration",
    "get_aliases",
    "log_and_register",
    "mlflow_session",
    "probe_tracking",
    "s3_environment",
    "set_alias",
]

CHAMPION = "champion"
CHALLENGER = "challenger"
_REQUIREMENTS = ("scikit-learn", "lightgbm", "xgboost", "pandas", "numpy")


@dataclass(frozen=True)
class Registration:
    """A model version registered from one run."""

    model_name: str
    version: str
    mlflow_run_id: str
    experiment_id: str
    model_uri: str
    aliases: tuple[str, ...]
    champion_version: str


def probe_tracking(tracking_uri: str) -> None:
    """Fail fast when a database tracking store is unreachable.

    MLflow retries a dead database with exponential backoff for minutes; one direct
    connection attempt (5 s timeout) tells the user at once, before any work is done.
    """
    if "://" not in tracking_uri or tracking_uri.split(":", 1)[0] in _NOT_DATABASES:
        return
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(tracking_uri, connect_args=_timeout(tracking_uri))
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except Exception as exc:  # any driver or URL error means the same thing to the user
        masked = sqlalchemy.engine.make_url(tracking_uri).render_as_string(hide_password=True)
        raise TrackingError(
            f"cannot reach the MLflow tracking store '{masked}': {type(exc).__name__}: "
            f"{str(exc).splitlines()[0]}",
            hint="Start the database server, or fix stores.tracking in boucle.yaml "
            "(default: sqlite:///.boucle/mlflow.db).",
        ) from exc


_NOT_DATABASES = ("sqlite", "file", "http", "https", "databricks")


def _timeout(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if url.startswith(("postgresql", "mysql")) else {}


@contextmanager
def mlflow_session(tracking_uri: str) -> Iterator[Any]:
    """Import MLflow quietly, point it at ``tracking_uri`` and translate its errors."""
    probe_tracking(tracking_uri)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    from mlflow.exceptions import MlflowException

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None  # type: ignore[no-untyped-call]
    mlflow.set_tracking_uri(tracking_uri)
    try:
        yield mlflow
    except MlflowException as exc:
        raise TrackingError(
            f"MLflow at '{tracking_uri}' failed: {exc.message}",
            hint="Check stores.tracking in boucle.yaml (a sqlite:/// path inside stores.root "
            "or a reachable MLflow/Postgres URL).",
        ) from exc
    finally:
        if previous is not None:
            mlflow.set_tracking_uri(previous)


def _pip_requirements() -> list[str]:
    # Listed explicitly: MLflow's inference starts a subprocess and takes seconds.
    pins = []
    for package in _REQUIREMENTS:
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    return pins


def log_and_register(
    *,
    tracking_uri: str,
    artifact_location: str,
    model_name: str,
    run_name: str,
    pipeline: Any,
    sample: Any,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    documents: dict[str, dict[str, Any]],
    storage_options: Mapping[str, Any] | None = None,
) -> Registration:
    """Log one MLflow run (params, metrics, tags, JSON documents, model) and register it.

    The new version gets the ``challenger`` alias; it also becomes ``champion`` when the
    model has none yet (boucle's alias cache follows, :mod:`boucle.registry.alias_cache`).
    Returns the registration with the aliases it received.
    ``storage_options`` (fsspec's, for an ``s3://`` artifact location) are handed to MLflow's
    S3 client: endpoint and credentials.
    """
    from boucle.registry.alias_cache import write_alias_cache

    with mlflow_session(tracking_uri) as mlflow, s3_environment(storage_options or {}):
        from mlflow import MlflowClient
        from mlflow.models import infer_signature

        client = MlflowClient(tracking_uri=tracking_uri)
        experiment = client.get_experiment_by_name(model_name)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else client.create_experiment(model_name, artifact_location=artifact_location)
        )
        with warnings.catch_warnings():
            # MLflow hints that integer columns cannot hold NaN; the pipeline imputes them.
            warnings.simplefilter("ignore", UserWarning)
            signature = infer_signature(sample, pipeline.predict(sample))
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
            mlflow.log_metrics(metrics)
            for file_name, document in documents.items():
                mlflow.log_dict(document, file_name)
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                signature=signature,
                pip_requirements=_pip_requirements(),
                # skops, not pickle: loading runs no arbitrary code. The types to trust are
                # those of the pipeline we just fitted ourselves.
                serialization_format="skops",
                skops_trusted_types=_skops_types(pipeline),
            )
        if not _registered_model_exists(client, model_name):
            client.create_registered_model(model_name, tags={"boucle.project": model_name})
        created = client.create_model_version(
            model_name, source=info.model_uri, run_id=run.info.run_id, tags=tags
        )
        model_version = str(created.version)
        aliases = [CHALLENGER]
        client.set_registered_model_alias(model_name, CHALLENGER, model_version)
        current = _aliases(client, model_name)
        if CHAMPION not in current:
            client.set_registered_model_alias(model_name, CHAMPION, model_version)
            aliases.append(CHAMPION)
        write_alias_cache(client, tracking_uri, model_name)
        return Registration(
            model_name=model_name,
            version=model_version,
            mlflow_run_id=run.info.run_id,
            experiment_id=experiment_id,
            model_uri=f"models:/{model_name}/{model_version}",
            aliases=tuple(aliases),
            champion_version=current.get(CHAMPION, model_version),
        )


def get_aliases(tracking_uri: str, model_name: str) -> dict[str, str]:
    """Map alias → version for a registered model (empty if it is not registered)."""
    with mlflow_session(tracking_uri):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri)
        if not _registered_model_exists(client, model_name):
            return {}
        return _aliases(client, model_name)


def set_alias(tracking_uri: str, model_name: str, alias: str, model_version: str) -> None:
    """Point ``alias`` at ``model_version`` of ``model_name``; boucle's alias cache follows."""
    from boucle.registry.alias_cache import write_alias_cache

    with mlflow_session(tracking_uri):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri)
        client.set_registered_model_alias(model_name, alias, model_version)
        write_alias_cache(client, tracking_uri, model_name)


@contextmanager
def s3_environment(options: Mapping[str, Any]) -> Iterator[None]:
    """Expose fsspec S3 options to MLflow's boto3 client for the duration of a call.

    MLflow reads its S3 endpoint and credentials from the environment only; the previous
    values are restored afterwards.
    """
    wanted = {
        "MLFLOW_S3_ENDPOINT_URL": (options.get("client_kwargs") or {}).get("endpoint_url"),
        "AWS_ACCESS_KEY_ID": options.get("key"),
        "AWS_SECRET_ACCESS_KEY": options.get("secret"),
    }
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            if value:
                os.environ[name] = str(value)
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _registered_model_exists(client: Any, model_name: str) -> bool:
    return bool(client.search_registered_models(filter_string=f"name = '{model_name}'"))


def _aliases(client: Any, model_name: str) -> dict[str, str]:
    model = client.get_registered_model(model_name)
    return {alias: str(v) for alias, v in dict(model.aliases).items()}


def _skops_types(pipeline: Any) -> list[str]:
    import skops.io

    return list(skops.io.get_untrusted_types(data=skops.io.dumps(pipeline)))


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."
