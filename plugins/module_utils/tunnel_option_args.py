# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module's ``tunnel_options`` argument spec, its entry-by-entry check and its documentation, all from
the spec table."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import CLOUDWATCH_LOG_FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import FIELDS
from ansible_collections.sitevpn.aws.plugins.module_utils.tunnel_options import KEY_EXCHANGE_REQUIREMENTS


def _suboption(field):
    if field.kind == "dict":
        spec = {
            "type": "dict",
            "options": {
                "cloudwatch_log_options": {
                    "type": "dict",
                    "options": {
                        key: dict({"type": s[1]}, **({"choices": list(s[2])} if s[2] else {}))
                        for key, s in CLOUDWATCH_LOG_FIELDS.items()
                    },
                }
            },
        }
        return spec
    if field.kind == "list_dict":
        return {
            "type": "list",
            "elements": "dict",
            "options": {
                "round": {"type": "int", "required": True},
                "requirement": {"type": "str", "choices": list(KEY_EXCHANGE_REQUIREMENTS)},
                "methods": {"type": "list", "elements": "int"},
            },
        }
    if field.kind in ("list_str", "list_int"):
        spec = {"type": "list", "elements": "str" if field.kind == "list_str" else "int"}
    else:
        spec = {"type": field.kind}
    if field.choices:
        spec["choices"] = list(field.choices)
    if field.no_log:
        spec["no_log"] = True
    return spec


def tunnel_option_suboptions():
    """Ansible argument spec of one ``tunnel_options`` entry (no defaults: unset means AWS's)."""
    spec = {"outside_ip_address": {"type": "str"}}
    for name, field in FIELDS.items():
        spec[name] = _suboption(field)
    return spec


def module_argument_spec():
    """The ``tunnel_options`` option: ``argument_spec["tunnel_options"] = module_argument_spec()``."""
    return {"type": "list", "elements": "dict", "options": tunnel_option_suboptions()}


def _doc_entry(spec, description):
    doc = {"description": description, "type": spec["type"]}
    for key in ("elements", "choices", "required"):
        if key in spec:
            doc[key] = spec[key]
    return doc


def suboptions_documentation():
    """The DOCUMENTATION ``suboptions`` of ``tunnel_options``, mirroring :func:`tunnel_option_suboptions`.

    ``scripts/gen_tunnel_options_doc.py`` writes it into the ``sitevpn.aws.tunnel_options`` doc
    fragment, so the documented choices and types are the spec's.
    """
    spec = tunnel_option_suboptions()
    rounds = None
    docs = {
        "outside_ip_address": _doc_entry(
            spec["outside_ip_address"],
            ["The AWS-side outside IP of the existing tunnel this entry applies to. Not sent to AWS.",
             "Without it, entries are matched to tunnels by tunnel_inside_cidr or pre_shared_key, never by position."],
        )
    }
    for name, field in FIELDS.items():
        entry = _doc_entry(spec[name], [field.description] + (
            [f"AWS's default: {field.default}."] if field.default not in (None, [], {}) and field.kind != "dict" else []
        ))
        if field.kind == "dict":
            cw = spec[name]["options"]["cloudwatch_log_options"]["options"]
            entry["suboptions"] = {
                "cloudwatch_log_options": {
                    "description": "CloudWatch Logs settings.",
                    "type": "dict",
                    "suboptions": {
                        key: _doc_entry(cw[key], f"C({CLOUDWATCH_LOG_FIELDS[key][0]}).") for key in CLOUDWATCH_LOG_FIELDS
                    },
                }
            }
        elif field.kind == "list_dict":
            sub = spec[name]["options"]
            # One object for every phase's rounds: the generated fragment writes it once (a YAML alias).
            rounds = rounds or {
                "round": _doc_entry(sub["round"], "The round number, 1-7, unique within the phase."),
                "requirement": _doc_entry(sub["requirement"], "Whether the round must be negotiated. AWS's default: required."),
                "methods": _doc_entry(
                    sub["methods"],
                    "IANA IKEv2 key exchange method IDs permitted in this round (35-37 are ML-KEM-512/768/1024). "
                    "A required round needs at least one.",
                ),
            }
            entry["suboptions"] = rounds
        if field.no_log:
            entry["description"].append("Never logged.")
        docs[name] = entry
    return docs


# The tunnel_options option's own description (its suboptions come from the fields table).
TUNNEL_OPTIONS_DESCRIPTION = [
    "Options of the (at most two) tunnels. Only the options given are managed; the others keep "
    "AWS's defaults (at creation) or their current values.",
    "On an existing connection an entry applies to the tunnel with its O(tunnel_options[].outside_ip_address), "
    "else to the one tunnel with its O(tunnel_options[].tunnel_inside_cidr) or O(tunnel_options[].pre_shared_key); "
    "entries naming no tunnel go to the tunnels they differ from least. Never by position in the list, because AWS "
    "does not return the tunnels in a fixed order. If that pairing is ambiguous the module fails and asks for "
    "O(tunnel_options[].outside_ip_address).",
    "All suboptions follow the EC2 API's VpnTunnelOptionsSpecification.",
]


def tunnel_options_documentation():
    """The whole ``tunnel_options`` option as DOCUMENTATION gives it (the doc fragment's content)."""
    return {
        "description": list(TUNNEL_OPTIONS_DESCRIPTION),
        "type": "list",
        "elements": "dict",
        "suboptions": suboptions_documentation(),
    }


def tunnel_option_argument_errors(entries):
    """Ansible's own argument checks, run entry by entry so that each message names tunnel_options[n]."""
    if not isinstance(entries, list):
        return []
    validator = ArgumentSpecValidator(tunnel_options_argument_spec()["options"])
    errors = []
    for idx, entry in enumerate(entries):
        if not isinstance(entry, dict):
            errors.append((f"tunnel_options[{idx + 1}]", f"must be a dict of tunnel options, got {type(entry).__name__}"))
            continue
        for message in validator.validate(entry).error_messages:
            errors.append((f"tunnel_options[{idx + 1}]", message))
    return errors


def tunnel_options_argument_spec():
    """The spec's tunnel_options option; names with "key" in them are not secrets unless it says so."""
    option = module_argument_spec()
    for sub in option["options"].values():
        sub.setdefault("no_log", False)
    return option
