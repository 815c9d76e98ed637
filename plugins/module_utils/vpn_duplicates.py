# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's own duplicates, and the one rule that converges them.

AWS takes no idempotency token for CreateCustomerGateway, CreateVpnGateway or CreateVpnConnection:
two runs that overlap (or a re-run while a killed run's module is still creating) can both create.
The next run finds several resources where one is wanted. They are converged only when every one
of them is the collection's: the same identity the module looks up by, the same Name tag and every
tag the task gives (the ownership tags, Project=sitevpn in the role). The rule, conservative:

- keep one: a resource in use first (a connection with a tunnel UP; a gateway a live VPN connection
  uses), then the one the kind prefers (an ``available`` connection; the VPN gateway attached to the
  wanted VPC), then the lowest ID; AWS gives these kinds no creation time, and a fixed order makes
  two runs that converge at once keep the same one;
- delete the others that nothing uses; never one in use (it is kept and named in a warning);
- report both: ``duplicates_removed`` and ``duplicates_kept`` in the result, and a warning.

Errors are raised (``VpnError``, ``AnsibleEC2Error``); the modules decide.
"""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple

from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import VpnError
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import snake_resource
from ansible_collections.sitevpn.aws.plugins.module_utils.ec2_vpn import tags_of


class Kind(NamedTuple):
    """A kind the collection converges: the API's ID key, and the kind's plural as messages say it."""

    id_key: str
    plural: str


CUSTOMER_GATEWAYS = Kind("CustomerGatewayId", "customer gateways")
VPN_GATEWAYS = Kind("VpnGatewayId", "VPN gateways")
VPN_CONNECTIONS = Kind("VpnConnectionId", "VPN connections")


class DuplicatesFound(VpnError):
    """Several live resources match, and all of them are the collection's (see ``owned``)."""

    def __init__(self, message: str, matches: List[Dict[str, Any]]):
        super().__init__(message)
        self.matches = matches


def find_converged(find, converge_matches, *args, **criteria) -> Tuple[Optional[Dict[str, Any]], Dict[str, Any]]:
    """``find(*args, **criteria)``, with duplicates that are all the collection's handed to
    ``converge_matches(matches)``: (the one resource or None, what converging reports)."""
    try:
        return find(*args, **criteria), {}
    except DuplicatesFound as dup:
        return converge_matches(dup.matches)


def converged_result(report: Dict[str, Any], changed: bool, diff: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    """An ensure step's result: what converging duplicates reported (``report``), and changed also
    when that removed some."""
    return dict(report, changed=changed or bool(report.get("duplicates_removed")), diff=diff, **fields)


def resource_result(report: Dict[str, Any], changed: bool, diff: Dict[str, Any], kind: str, resource: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    """``converged_result`` of a step that ensured one resource of ``kind`` (``customer_gateway``,
    ``vpn_gateway``, ``vpn_concentrator``): its ID as ``<kind>_id`` (the API's ``<Kind>Id``) and the
    resource itself as ``<kind>``, keys in snake_case."""
    id_key = "".join(word.capitalize() for word in kind.split("_")) + "Id"
    return converged_result(report, changed, diff, **{f"{kind}_id": resource.get(id_key), kind: snake_resource(resource)}, **fields)


def owned(resource: Dict[str, Any], name: Optional[str], tags: Optional[Dict[str, Any]]) -> bool:
    """The collection's: carries Name=name and every tag of ``tags``."""
    if name is None:
        return False
    have = tags_of(resource)
    return have.get("Name") == name and all(have.get(k) == str(v) for k, v in (tags or {}).items())


def one_match(
    matches: List[Dict[str, Any]],
    kind: Kind,
    hint: str,
    name: Optional[str] = None,
    tags: Optional[Dict[str, Any]] = None,
    tie: Optional[Callable[[Dict[str, Any]], bool]] = None,
) -> Optional[Dict[str, Any]]:
    """The one of a find's ``matches``, or None. Several are narrowed to those with the Name tag
    ``name``, then to those ``tie`` accepts (each step only when it leaves some); several still
    raise DuplicatesFound when all are the collection's, else VpnError with ``hint``."""
    for keep in (lambda m: name is not None and tags_of(m).get("Name") == name, tie):
        if len(matches) > 1 and keep is not None:
            matches = [m for m in matches if keep(m)] or matches
    if len(matches) > 1:
        ids = ", ".join(sorted(m[kind.id_key] for m in matches))
        if all(owned(m, name, tags) for m in matches):
            raise DuplicatesFound(f"Several {kind.plural} named {name!r} match ({ids})", matches)
        raise VpnError(f"Several {kind.plural} match ({ids}); {hint}")
    return matches[0] if matches else None


def choose(
    matches: List[Dict[str, Any]],
    id_key: str,
    in_use: Dict[str, bool],
    prefer: Callable[[Dict[str, Any]], Any] = lambda r: 0,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(keeper, removable, kept in use) by the rule above; pure."""
    order = sorted(matches, key=lambda r: (not in_use.get(r[id_key], False), prefer(r), r[id_key]))
    keeper, rest = order[0], order[1:]
    removable = [r for r in rest if not in_use.get(r[id_key], False)]
    kept = [r for r in rest if in_use.get(r[id_key], False)]
    return keeper, removable, kept


def converge(
    module,
    matches: List[Dict[str, Any]],
    kind: Kind,
    in_use: Dict[str, bool],
    remove: Callable[[Dict[str, Any]], Any],
    prefer: Callable[[Dict[str, Any]], Any] = lambda r: 0,
) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    """Keep one, remove the unused others (not in check mode), warn; returns (keeper, report)."""
    id_key = kind.id_key
    keeper, removable, kept = choose(matches, id_key, in_use, prefer)
    if not module.check_mode:
        for resource in removable:
            remove(resource)
    report = {
        "duplicates_removed": [r[id_key] for r in removable],
        "duplicates_kept": [r[id_key] for r in kept],
    }
    message = f"{len(matches)} {kind.plural} of this collection match where one is wanted (runs overlapped): kept {keeper[id_key]}"
    if removable:
        verb = "would delete" if module.check_mode else "deleted"
        message += f"; {verb} the unused duplicate(s) {', '.join(report['duplicates_removed'])}"
    if kept:
        message += f"; left {', '.join(report['duplicates_kept'])}, still in use: move what uses it, then run again"
    module.warn(message)
    return keeper, report


def tunnels_up(connection: Dict[str, Any]) -> int:
    return sum(1 for t in connection.get("VgwTelemetry") or [] if t.get("Status") == "UP")
