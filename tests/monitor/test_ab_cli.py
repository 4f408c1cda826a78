"""``boucle ab report`` on a project whose prediction log holds two routes with feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ab_log import write_ab_log


def test_ab_report_reads_the_project_log(
    boucle_cli: Any, tmp_path: Path, german_path: Path
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: german-ab\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: 'yes'}}\n"
    )
    missing = boucle_cli("ab", "report")
    assert missing.returncode == 2 and "no prediction log in" in missing.stderr

    write_ab_log(
        tmp_path / ".boucle" / "predictions", {"champion": (2000, 0.8), "challenger": (2000, 0.9)}
    )
    done = boucle_cli("ab", "report", "--json", "--min-difference", "0.05")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["a"]["alias"] == "champion" and report["a"]["labelled"] == 2000
    assert report["low"] > 0 and report["enough_data"] is True
    text = boucle_cli("ab", "report", "--since", "2020-01-01")
    assert text.returncode == 0, text.stderr
    assert "verdict: challenger is better on accuracy" in text.stdout

    recent = boucle_cli("ab", "report", "--window", "7d")  # the log is from May 2026
    assert recent.returncode == 2 and "no record since" in recent.stderr
    bad = boucle_cli("ab", "report", "--window", "a week")
    assert bad.returncode == 2 and "is not a duration" in bad.stderr
    unknown = boucle_cli("ab", "report", "--b", "shadow")
    assert unknown.returncode == 2 and "routes seen: challenger, champion" in unknown.stderr
