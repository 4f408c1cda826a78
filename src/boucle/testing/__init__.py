"""The conformance suite: executable contracts for every kind of plug-in.

Like scikit-learn's ``check_estimator``, each function runs an implementation through its
protocol on small, fixed sample data and returns None, or raises :class:`ConformanceError`
naming the plug-in, the rule it breaks and what is wrong::

    from boucle.testing import check_model, check_gate

    def test_my_plugins_conform():
        check_model(MyEstimator)        # a class, an entry-point name or "module:Class"
        check_gate(MyGate())            # sample contexts are built for you

boucle's own tests run every check on every built-in implementation. The sample data is
built with pandas, scikit-learn and (for gates) a throw-away SQLite ledger; those are
imported inside the checks.
"""

from __future__ import annotations

from boucle.testing.alert_sinks import check_alert_sink, sample_alert
from boucle.testing.data_checks import check_data_check
from boucle.testing.drift_tests import check_drift_test
from boucle.testing.errors import ConformanceError
from boucle.testing.gates import check_gate, sample_gate_contexts
from boucle.testing.models import check_model

__all__ = [
    "ConformanceError",
    "check_alert_sink",
    "check_data_check",
    "check_drift_test",
    "check_gate",
    "check_model",
    "sample_alert",
    "sample_gate_contexts",
]
