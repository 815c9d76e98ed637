"""Transit gateway attachments of Site-to-Site VPN connections, as strict as AWS.

moto 5.2.5 makes the VPN attachment but leaves it out of the route tables' associations and
propagations (its ``association`` says "associated" to the default table whatever happens), and it
associates one attachment with two tables without a word. Rules from the EC2 API reference
(AssociateTransitGatewayRouteTable, EnableTransitGatewayRouteTablePropagation,
DisassociateTransitGatewayRouteTable) and the transit gateway's options
(DefaultRouteTableAssociation / DefaultRouteTablePropagation, Amazon VPC Transit Gateways guide).
patches.py wraps moto's backend methods with these.
"""

from __future__ import annotations

import functools

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRelations

from lab.api.ec2_vpn.common import LOCK


def _attachment(backend, attachment_id: str):
    attachment = backend.transit_gateway_attachments.get(attachment_id)
    if attachment is None or attachment.state in ("deleted", "deleting"):
        raise EC2ClientError("InvalidTransitGatewayAttachmentID.NotFound",
                             f"Transit Gateway Attachment {attachment_id} was deleted or does not exist.")
    return attachment


def _table(backend, table_id: str):
    table = backend.transit_gateways_route_tables.get(table_id)
    if table is None or table.state in ("deleted", "deleting"):
        raise EC2ClientError("InvalidRouteTableID.NotFound", f"Transit Gateway Route Table {table_id} was deleted or does not exist.")
    return table


def live_transit_gateway(backend, transit_gateway_id: str):
    """The transit gateway, unless missing or deleted (AWS still describes a deleted one for a while)."""
    tgw = backend.transit_gateways.get(transit_gateway_id)
    if tgw is None or tgw.state in ("deleted", "deleting"):
        raise EC2ClientError("InvalidTransitGatewayID.NotFound", f"Transit gateway {transit_gateway_id} does not exist")
    return tgw


def wrap_delete_transit_gateway(original):
    """DeleteTransitGateway as AWS: refused (IncorrectState) while attachments live; the deleted
    transit gateway stays visible in state deleted (amazon.aws's transit_gateway_deleted waiter waits
    for that state), where moto forgets it at once and deletes one with attachments."""

    @functools.wraps(original)
    def delete_transit_gateway(self, transit_gateway_id):
        with LOCK:
            tgw = live_transit_gateway(self, transit_gateway_id)
            live = sorted(a.id for a in self.transit_gateway_attachments.values()
                          if a.transit_gateway_id == tgw.id and a.state not in ("deleted", "deleting"))
            if live:
                raise EC2ClientError("IncorrectState", f"{tgw.id} has non-deleted Transit Gateway Attachments: {', '.join(live)}")
            tgw.state = "deleted"
            return tgw

    return delete_transit_gateway


def associated_table(backend, attachment_id: str):
    """The route table the attachment is associated with, or None (an attachment has at most one)."""
    for table in backend.transit_gateways_route_tables.values():
        if attachment_id in table.route_table_associations:
            return table
    return None


def _check_pair(backend, attachment_id: str, table_id: str):
    attachment, table = _attachment(backend, attachment_id), _table(backend, table_id)
    if attachment.transit_gateway_id != table.transit_gateway_id:
        raise EC2ClientError("InvalidParameterValue",
                             f"Transit Gateway Attachment {attachment_id} and Route Table {table_id} are on different transit gateways.")
    return attachment, table


def attach(backend, resource_id: str, resource_type: str, transit_gateway_id: str, tags=None):
    """A new attachment (a VPN connection's or a concentrator's), associated and propagated as the
    transit gateway's default route table options say."""
    tgw = backend.transit_gateways[transit_gateway_id]
    # moto's VPN attachment is a plain TransitGatewayAttachment: only the resource type differs
    attachment = backend.create_transit_gateway_vpn_attachment(vpn_id=resource_id, transit_gateway_id=transit_gateway_id, tags=tags)
    attachment.resource_type = resource_type
    attachment.transit_gateway_route_table = None
    options = getattr(tgw, "options", None) or {}
    if options.get("DefaultRouteTableAssociation", "enable") == "enable" and options.get("AssociationDefaultRouteTableId"):
        backend.associate_transit_gateway_route_table(attachment.id, options["AssociationDefaultRouteTableId"])
    if options.get("DefaultRouteTablePropagation", "enable") == "enable" and options.get("PropagationDefaultRouteTableId"):
        backend.enable_transit_gateway_route_table_propagation(attachment.id, options["PropagationDefaultRouteTableId"])
    return attachment


def detach(backend, attachment_id: str) -> None:
    """The attachment of a deleted VPN connection or concentrator leaves its tables and goes."""
    attachment = backend.transit_gateway_attachments.get(attachment_id)
    if attachment is None:
        return
    for table in backend.transit_gateways_route_tables.values():
        table.route_table_associations.pop(attachment_id, None)
        table.route_table_propagation = [p for p in table.route_table_propagation if p.transitGatewayAttachmentId != attachment_id]
    backend.transit_gateway_associations.pop(attachment_id, None)
    backend.transit_gateway_propagations.pop(attachment_id, None)
    attachment.transit_gateway_route_table = None
    attachment.state = "deleted"


def _propagates(table, attachment_id: str) -> bool:
    """Does this TGW route table learn the attachment's routes?"""
    return any(p.transitGatewayAttachmentId == attachment_id for p in table.route_table_propagation)


def attachment_association(self):
    """TransitGatewayAttachment.association, from the route tables (where AWS keeps it)."""
    table = associated_table(self.ec2_backend, self.id) if self.state == "available" else None
    if table is None:
        return None
    return {"State": "associated", "TransitGatewayRouteTableId": table.id}


def _pair_rule(refused, code: str, message: str, call=None):
    """A wrapper of moto's call on an (attachment, route table) pair, under LOCK: both live on one
    transit gateway and ``refused(backend, attachment, table)`` is false, else AWS's ``code`` with
    ``message`` (``{attachment}``, ``{table}``: their ids); then ``call(original, backend,
    attachment, table)``, or moto's call as it is."""
    def wrap(original):
        @functools.wraps(original)
        def checked(self, transit_gateway_attachment_id, transit_gateway_route_table_id):  # moto's responses name them
            with LOCK:
                attachment, table = _check_pair(self, transit_gateway_attachment_id, transit_gateway_route_table_id)
                if refused(self, attachment, table):
                    raise EC2ClientError(code, message.format(attachment=attachment.id, table=table.id))
                if call is not None:
                    return call(original, self, attachment, table)
                return original(self, attachment.id, table.id)

        return checked

    return wrap


def _disassociate(original, backend, attachment, table):
    if attachment.id not in backend.transit_gateway_associations:  # moto's VPC attachments skip the record
        backend.transit_gateway_associations[attachment.id] = TransitGatewayRelations(backend, attachment.id, table.id, state="associated")
    return original(backend, attachment.id, table.id)


def _disable_propagation(original, backend, attachment, table):
    # moto keeps one propagation per attachment; AWS one per table: keep moto's record if others remain
    record = backend.transit_gateway_propagations.get(attachment.id)
    result = original(backend, attachment.id, table.id)
    others = [t for t in backend.transit_gateways_route_tables.values() if _propagates(t, attachment.id)]
    if others and record is not None:
        backend.transit_gateway_propagations[attachment.id] = record
        record.state = "enabled"
    return result


wrap_associate = _pair_rule(lambda backend, attachment, table: associated_table(backend, attachment.id) is not None,
                            "Resource.AlreadyAssociated", "Transit Gateway Attachment {attachment} is already associated to a route table.")
wrap_disassociate = _pair_rule(lambda backend, attachment, table: attachment.id not in table.route_table_associations,
                               "InvalidAssociation.NotFound",
                               "Transit Gateway Attachment {attachment} is not associated with route table {table}.", _disassociate)
wrap_enable_propagation = _pair_rule(lambda backend, attachment, table: _propagates(table, attachment.id),
                                     "TransitGatewayRouteTablePropagation.Duplicate",
                                     "Propagation of {attachment} to route table {table} is already enabled.")
wrap_disable_propagation = _pair_rule(lambda backend, attachment, table: not _propagates(table, attachment.id),
                                      "InvalidRouteTablePropagation.NotFound",
                                      "Propagation of {attachment} to route table {table} is not enabled.", _disable_propagation)


def wrap_delete_vpn_connection(original):
    @functools.wraps(original)
    def delete_vpn_connection(self, vpn_connection_id):
        with LOCK:
            conn = original(self, vpn_connection_id)
            if getattr(conn, "lab_attachment_id", None):
                detach(self, conn.lab_attachment_id)
            return conn

    return delete_vpn_connection


def attachment_propagations(backend, attachment_id: str) -> list[dict]:
    """GetTransitGatewayAttachmentPropagations (moto lacks it): the tables the attachment propagates to."""
    attachment = _attachment(backend, attachment_id)
    return [
        {"TransitGatewayRouteTableId": table.id, "State": "enabled"}
        for table in backend.transit_gateways_route_tables.values()
        if _propagates(table, attachment.id)
    ]


def wrap_describe_route_tables(original):
    """moto filters route tables by their attributes only and drops ``tag:<key>``, ``tag-key`` and
    ``tag-value``; AWS filters on tags too (a table found by its Name tag)."""
    def describe(self, transit_gateway_route_table_ids=None, filters=None):
        filters = dict(filters or {})
        tagged = {k: v for k, v in filters.items() if k.startswith("tag:") or k in ("tag-key", "tag-value")}
        rest = {k: v for k, v in filters.items() if k not in tagged}
        tables = original(self, transit_gateway_route_table_ids, rest or None)
        return [t for t in tables if all(_tag_matches(t.get_filter_value(k), v) for k, v in tagged.items())]
    return describe


def _tag_matches(found, wanted) -> bool:
    found = found if isinstance(found, list) else [found]
    return any(f is not None and f in wanted for f in found)


# SearchTransitGatewayRoutes filters the lab answers (AWS documents more; these are the ones a site's
# routes are looked up by)
_ROUTE_FILTERS = {
    "type": lambda r: [r.get("type")],
    "state": lambda r: [r.get("state")],
    "route-search.exact-match": lambda r: [r.get("destinationCidrBlock")],
    "attachment.transit-gateway-attachment-id": lambda r: [a.get("transitGatewayAttachmentId") for a in r["transitGatewayAttachments"]],
    "attachment.resource-id": lambda r: [a.get("resourceId") for a in r["transitGatewayAttachments"]],
    "attachment.resource-type": lambda r: [a.get("resourceType") for a in r["transitGatewayAttachments"]],
}


def _site_attachment(backend, conn):
    """The attachment a VPN connection's routes come through: its own, or its concentrator's."""
    resource = getattr(conn, "vpn_concentrator_id", None) or conn.id
    for attachment in backend.transit_gateway_attachments.values():
        if attachment.resource_id == resource and attachment.state not in ("deleted", "deleting"):
            return attachment
    return None


def _propagated_routes(backend, table) -> list[dict]:
    """What AWS puts in a transit gateway route table for each VPN attachment propagating into it:
    the prefixes its connections learned over BGP (static sites get static routes from the user)."""
    own = {cidr for cidr, r in table.routes.items() if r.get("state") != "deleted"}
    routes = {}
    for conn in backend.vpn_connections.values():
        if conn.transit_gateway_id != table.transit_gateway_id or conn.state not in ("available", "modifying"):
            continue
        attachment = _site_attachment(backend, conn)
        if attachment is None or not _propagates(table, attachment.id):
            continue
        for cidr in getattr(conn, "lab_bgp_prefixes", None) or []:
            if cidr not in own:
                routes.setdefault(cidr, {"destinationCidrBlock": cidr, "prefixListId": None, "state": "active",
                                         "type": "propagated", "transitGatewayAttachments": []})
                hop = {"resourceId": attachment.resource_id, "resourceType": attachment.resource_type,
                       "transitGatewayAttachmentId": attachment.id}
                if hop not in routes[cidr]["transitGatewayAttachments"]:
                    routes[cidr]["transitGatewayAttachments"].append(hop)
    return list(routes.values())


def wrap_search_routes(original):
    """SearchTransitGatewayRoutes as AWS: an unknown table is InvalidRouteTableID.NotFound (moto answers
    nothing), a route's attachments are a list (moto gives one object), and the routes propagated from
    VPN attachments are there (moto has only static ones)."""
    @functools.wraps(original)
    def search(self, transit_gateway_route_table_id, filters, max_results=None):
        with LOCK:
            table = _table(self, transit_gateway_route_table_id)
            routes = []
            for r in original(self, transit_gateway_route_table_id, {}) + _propagated_routes(self, table):
                hops = r.get("transitGatewayAttachments") or []
                routes.append(dict(r, transitGatewayAttachments=hops if isinstance(hops, list) else [hops]))
            for name, values in (filters or {}).items():
                if name not in _ROUTE_FILTERS:
                    raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
                routes = [r for r in routes if set(_ROUTE_FILTERS[name](r)) & set(values)]
            return routes[: int(max_results)] if max_results else routes
    return search
