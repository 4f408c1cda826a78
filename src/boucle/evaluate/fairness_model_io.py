"""Read a fair challenger's model back from its skops bytes, verified against its digest.

The ``mitigate`` step stores its :class:`~boucle.evaluate.fairness_mitigation.
GroupThresholdClassifier` with skops in boucle's artifact store, and the registry records the
blake3 of those bytes as the version's ``boucle.model_digest``. Whoever loads that version
(``boucle gate``, ``boucle serve`` and ``boucle predict`` on the Python path) loads it with
:func:`load_group_threshold_model`: the bytes are hashed again against the digest just before
skops reads them, and must decode to a GroupThresholdClassifier. It lives in this layer, not
in ``boucle.serve`` or ``boucle.registry``, so that both can use it without importing each
other. Failures are :class:`~boucle.errors.StoreError` (and its
:class:`~boucle.errors.IntegrityError`); callers translate them where they need their own type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle.errors import IntegrityError, StoreError
from boucle.store.verified import verified_bytes

if TYPE_CHECKING:
    from boucle.evaluate.fairness_mitigation import GroupThresholdClassifier

__all__ = ["load_group_threshold_model"]


def load_group_threshold_model(
    data: bytes | None, digest: str, *, model: str
) -> GroupThresholdClassifier:
    """The GroupThresholdClassifier in the skops bytes ``data``, once they hash to ``digest``.

    ``model`` names the version in messages. Raises :class:`StoreError` when ``data`` is empty
    or does not load, and :class:`IntegrityError` when it does not hash to ``digest`` or is
    not a GroupThresholdClassifier.
    """
    data = verified_bytes(data, digest, kind="skops", model=f"the fair challenger {model}")
    import skops.io

    from boucle.evaluate.fairness_mitigation import GroupThresholdClassifier

    try:
        # skops refuses types it is not told to trust. The types trusted here are read from
        # these very bytes: that is safe because they are the ones the mitigate step wrote to
        # boucle's own store, verified above against the digest the registry recorded;
        # nothing else is ever loaded this way.
        trusted = skops.io.get_untrusted_types(data=data)
        loaded = skops.io.loads(data, trusted=trusted)
    except Exception as exc:  # skops raises UntrustedTypesFoundException, TypeError, ...
        raise StoreError(
            f"the skops model of {model} does not load: {type(exc).__name__}: {exc}.",
            hint="Load it with the library versions it was trained with, or re-run "
            "`boucle run` to register a new fair challenger.",
        ) from exc
    if not isinstance(loaded, GroupThresholdClassifier):
        raise IntegrityError(
            f"the skops model of {model} is a {type(loaded).__name__}, not the fair "
            "challenger's GroupThresholdClassifier.",
            hint="The registry's boucle.model_digest of this version was changed; run "
            "`boucle audit verify` and re-run `boucle run`.",
        )
    return loaded
