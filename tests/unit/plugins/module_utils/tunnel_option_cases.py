# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnel options shared by the spec and validation tests."""

from __future__ import annotations

# Every option set, each to a valid non-default value.
FULL = {
    "tunnel_inside_cidr": "169.254.10.0/30",
    "tunnel_inside_ipv6_cidr": "fd00::/126",
    "pre_shared_key": "abcdefgh.12_X",
    "phase1_lifetime_seconds": 14400,
    "phase2_lifetime_seconds": 1800,
    "rekey_margin_time_seconds": 300,
    "rekey_fuzz_percentage": 50,
    "replay_window_size": 2048,
    "dpd_timeout_seconds": 40,
    "dpd_timeout_action": "restart",
    "phase1_encryption_algorithms": ["AES256-GCM-16", "AES256"],
    "phase2_encryption_algorithms": ["AES256-GCM-16"],
    "phase1_integrity_algorithms": ["SHA2-384"],
    "phase2_integrity_algorithms": ["SHA2-256", "SHA2-512"],
    "phase1_dh_group_numbers": [20, 21],
    "phase2_dh_group_numbers": [20],
    "ike_versions": ["ikev2"],
    "startup_action": "start",
    "log_options": {
        "cloudwatch_log_options": {
            "log_enabled": True,
            "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:vpn",
            "log_output_format": "text",
            "bgp_log_enabled": False,
        }
    },
    "enable_tunnel_lifecycle_control": True,
    "phase1_additional_key_exchanges": [{"round": 1, "requirement": "required", "methods": [36]}],
    "phase2_additional_key_exchanges": [
        {"round": 1, "requirement": "required", "methods": [36, 37]},
        {"round": 2, "requirement": "optional", "methods": []},
    ],
}
