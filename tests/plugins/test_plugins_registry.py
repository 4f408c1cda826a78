"""Discovery, loading and the errors of the plug-in registry, on real distributions."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugins_helpers import write_distribution

from boucle.plugins import (
    PluginError,
    available_plugins,
    check_config_name,
    clear_plugin_cache,
    discover_plugins,
    import_plugin,
    load_plugin,
    make_alert_sink,
    resolve_plugin,
)


def test_entry_points_are_discovered_with_their_distribution(installed: Path) -> None:
    found = {(e.kind, e.name): e for k in ("model", "data_check", "drift_test", "gate",
             "alert_sink") for e in discover_plugins(k)}  # fmt: skip
    assert set(found) == {
        ("model", "demo_logistic"),
        ("data_check", "no_negative"),
        ("drift_test", "mean_shift"),
        ("gate", "min_rows"),
        ("alert_sink", "jsonl"),
    }
    entry = found[("gate", "min_rows")]
    assert entry.distribution == "boucle-demo-plugins 1.0"
    assert entry.target == "demo_plugins:MinRows"
    assert entry.group == "boucle.gates"
    assert available_plugins("model") == [
        "lightgbm", "logistic_regression", "random_forest", "xgboost", "demo_logistic",
    ]  # fmt: skip


def test_each_kind_loads_as_its_protocol_says(installed: Path) -> None:
    model = load_plugin("model", "demo_logistic")
    assert isinstance(model, type) and model.__name__ == "DemoLogistic"
    gate = load_plugin("gate", "min_rows")
    assert gate.name == "min_rows" and not isinstance(gate, type)
    assert load_plugin("gate", "min_rows") is not gate  # a fresh instance each time
    assert load_plugin("data_check", "no_negative").name == "no_negative"
    assert load_plugin("drift_test", "mean_shift").kinds == ("numeric",)
    sink = make_alert_sink("jsonl", "file", {"path": "x.jsonl"})
    assert sink.name == "file" and str(sink.path) == "x.jsonl"
    # A module:attr path needs no entry point.
    assert load_plugin("gate", "demo_plugins:MinRows").name == "min_rows"


def test_the_import_is_cached_until_the_cache_is_cleared(installed: Path) -> None:
    entry = resolve_plugin("gate", "min_rows")
    assert import_plugin(entry) is import_plugin(entry)
    # A distribution installed later is seen after clear_plugin_cache().
    write_distribution(installed / "later", "later-plugins", "2.0",
                       {"boucle.gates": {"late": "demo_plugins:MinRows"}}, {})  # fmt: skip
    import sys

    sys.path.insert(0, str(installed / "later"))
    try:
        assert "late" not in [e.name for e in discover_plugins("gate")]
        clear_plugin_cache()
        assert "late" in [e.name for e in discover_plugins("gate")]
    finally:
        sys.path.remove(str(installed / "later"))
        clear_plugin_cache()


def test_an_unknown_name_lists_what_is_available(installed: Path) -> None:
    with pytest.raises(PluginError) as caught:
        load_plugin("model", "demo_logistc")
    message = str(caught.value)
    assert "unknown model 'demo_logistc' in train.model" in message
    assert "lightgbm, logistic_regression, random_forest, xgboost, demo_logistic" in message
    assert "Did you mean 'demo_logistic'?" in message
    assert "boucle.models" in message


def test_an_import_failure_names_the_distribution_and_the_error(installed_broken: Path) -> None:
    with pytest.raises(PluginError) as caught:
        load_plugin("gate", "ghost")
    message = str(caught.value)
    assert "gate plug-in 'ghost' (boucle-broken-plugins 0.1) cannot be imported" in message
    assert "ModuleNotFoundError" in message and "no_such_module_for_boucle" in message
    assert "Reinstall or fix the distribution boucle-broken-plugins 0.1" in message
    with pytest.raises(PluginError, match="has no attribute 'DoesNotExist'"):
        load_plugin("drift_test", "wrong_attr")
    with pytest.raises(PluginError, match="cannot be imported: importing 'nowhere_module'"):
        load_plugin("gate", "nowhere_module:Gate")


def test_a_plugin_breaking_its_protocol_says_what_is_missing(installed_broken: Path) -> None:
    with pytest.raises(PluginError) as caught:
        load_plugin("model", "not_a_model")
    assert "does not follow the model protocol: it lacks predict" in str(caught.value)
    assert "boucle.testing.check_model" in str(caught.value)
    with pytest.raises(PluginError, match="must name an estimator class"):
        load_plugin("model", "demo_plugins:_register_converter")
    with pytest.raises(PluginError, match="lacks kinds"):
        load_plugin("drift_test", "demo_plugins:MinRows")
    with pytest.raises(PluginError) as caught:
        make_alert_sink("needs_url", "pager", {"url": 1, "extra": 2})
    assert "could not create sink 'pager' with options ['extra', 'url']" in str(caught.value)
    assert "unexpected keyword argument 'extra'" in str(caught.value)


def test_names_of_builtins_and_clashes_are_refused(installed: Path, tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="'slices' is a built-in gate of boucle"):
        resolve_plugin("gate", "slices")
    source = "class Missing:\n    name = 'missing'\n    def check(self, frame, context):\n" \
             "        return []\n"  # fmt: skip
    clash = write_distribution(tmp_path / "clash", "clash-plugins", "0.2",
                               {"boucle.gates": {"min_rows": "clash_module:Other"},
                                "boucle.checks": {"fake_missing": "clash_module:Missing"}},
                               {"clash_module": source})  # fmt: skip
    import sys

    sys.path.insert(0, str(clash))
    clear_plugin_cache()
    try:
        with pytest.raises(PluginError) as caught:
            resolve_plugin("gate", "min_rows")
        message = str(caught.value)
        assert "declared by more than one distribution" in message
        assert "boucle-demo-plugins 1.0" in message and "clash-plugins 0.2" in message
        with pytest.raises(PluginError, match="calls itself 'missing', the name of a built-in"):
            load_plugin("data_check", "fake_missing")
    finally:
        sys.path.remove(str(clash))
        sys.modules.pop("clash_module", None)
        clear_plugin_cache()


def test_config_names_are_checked_without_importing(installed: Path) -> None:
    import sys

    assert check_config_name("model", "lightgbm") == "lightgbm"
    assert check_config_name("model", "demo_logistic") == "demo_logistic"
    assert check_config_name("gate", "somewhere.else:Gate") == "somewhere.else:Gate"
    assert "demo_plugins" not in sys.modules
    with pytest.raises(ValueError, match="Available: log, smtp, webhook, jsonl"):
        check_config_name("alert_sink", "pager")


def test_plugin_fingerprint_follows_the_source_and_the_version(installed: Path) -> None:
    from boucle.plugins import plugin_fingerprint

    assert plugin_fingerprint("model", "lightgbm") is None  # built-ins are in boucle's own code
    first = plugin_fingerprint("model", "demo_logistic")
    assert first is not None
    assert first["target"] == "demo_plugins:DemoLogistic"
    assert first["distribution"] == "boucle-demo-plugins 1.0"
    assert first["source_hash"] is not None and len(first["source_hash"]) == 64
    assert plugin_fingerprint("model", "demo_plugins:DemoLogistic") == {
        **first,
        "distribution": None,
    }
    module = installed / "demo_plugins.py"
    module.write_text(module.read_text() + "\n# an edit that changes the model's code\n")
    edited = plugin_fingerprint("model", "demo_logistic")
    assert edited is not None and edited["source_hash"] != first["source_hash"]
    assert {k: v for k, v in edited.items() if k != "source_hash"} == {
        k: v for k, v in first.items() if k != "source_hash"
    }
