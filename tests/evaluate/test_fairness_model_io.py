"""A fair challenger's skops model is loaded only once it hashes to its recorded digest.

Shared by ``boucle gate`` (as StoreError/IntegrityError) and the serving Python path, which
translates them to ServeError.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression

from boucle.errors import IntegrityError, StoreError
from boucle.evaluate.fairness_mitigation import GroupThresholdClassifier
from boucle.evaluate.fairness_model_io import load_group_threshold_model
from boucle.hashing import blake3_hex
from boucle.serve.errors import ServeError
from boucle.serve.python_runtime import load_skops_verified

RULE = {
    "p0": 1.0, "p1": 0.0, "p_ignore": 0.0, "prediction_constant": 0.0,
    "operation0": {"operator": ">", "threshold": 0.3},
    "operation1": {"operator": ">", "threshold": 0.7},
}  # fmt: skip


def _fair_bytes() -> tuple[bytes, pd.DataFrame]:
    x = pd.DataFrame({"group": [0.0, 1.0, 0.0, 1.0], "skill": [0.1, 0.9, 0.4, 0.6]})
    base = LogisticRegression().fit(x, [0, 1, 0, 1])
    model = GroupThresholdClassifier(base, "group", {"0.0": RULE, "1.0": RULE})
    return skops.io.dumps(model), x


def test_the_verified_bytes_load_as_the_fair_model() -> None:
    data, x = _fair_bytes()
    loaded = load_group_threshold_model(data, blake3_hex(data), model="v2")
    assert isinstance(loaded, GroupThresholdClassifier)
    assert loaded.thresholds["1.0"] == RULE
    expected = loaded.pipeline.predict_proba(x)[:, 1] > 0.3  # operation0 with p0 = 1
    np.testing.assert_allclose(loaded.positive_rate(x), expected)


def test_bytes_that_do_not_match_or_are_not_the_fair_model_are_refused() -> None:
    data, _ = _fair_bytes()
    with pytest.raises(IntegrityError, match="refusing to load them"):
        load_group_threshold_model(data, blake3_hex(b"other"), model="v2")
    plain = skops.io.dumps(LogisticRegression())
    with pytest.raises(IntegrityError, match="is a LogisticRegression, not the fair"):
        load_group_threshold_model(plain, blake3_hex(plain), model="v2")
    with pytest.raises(StoreError, match="does not load"):
        load_group_threshold_model(b"not skops", blake3_hex(b"not skops"), model="v2")
    with pytest.raises(StoreError, match="no skops bytes were given"):
        load_group_threshold_model(None, blake3_hex(data), model="v2")


def test_the_serving_path_raises_serve_errors_with_the_same_message() -> None:
    data, _ = _fair_bytes()
    loaded = load_skops_verified(data, blake3_hex(data), model="v2")
    assert isinstance(loaded, GroupThresholdClassifier)
    with pytest.raises(ServeError, match=r"hash to .* refusing to load them") as raised:
        load_skops_verified(data, "0" * 64, model="v2")
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert raised.value.hint and "boucle audit verify" in raised.value.hint
