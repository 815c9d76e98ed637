"""The ``ec2`` fixture of the module tests (see sitevpn_module_harness)."""

from __future__ import annotations

from sitevpn_module_harness import ec2  # noqa: F401  pylint: disable=unused-import
