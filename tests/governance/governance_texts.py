"""YAML blocks shared by the governance tests."""

from __future__ import annotations

CREDIT_USE_CASE = """\
use_case:
  purpose: Score the creditworthiness of consumer-loan applicants
  domain: essential_services
  decisions: [creditworthiness]
  users: [credit analysts]
  affected_persons: [loan applicants]
  profiling: true
  human_oversight: An analyst reviews every refusal before it is sent.
  data_categories: [financial, demographic]
"""
CENSUS_USE_CASE = """\
use_case:
  purpose: Estimate income brackets of anonymised census records for aggregate statistics
  domain: other
  users: [statisticians]
  data_categories: [demographic]
"""
GOVERNANCE = """\
governance:
  roles: {risk-officer: [alice], model-owner: [bob, alice]}
  monitoring_plan: monitoring.md
"""
