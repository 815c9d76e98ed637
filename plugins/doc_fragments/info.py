# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

_FILTERS = r"""
  filters:
    description:
      - Filters as a dict of filter name to value(s), for example C(state) or C(tag:Name); the module's
        description names its Describe call, whose API reference lists the filter names.
    type: dict
    default: {}
"""


def _listing(ids_option: str, what: str, call: str, examples: str) -> str:
    """The options of an _info module that lists one kind of resource in one EC2 Describe ``call``,
    as module_utils/aws_module.info_argument_spec builds them: the IDs (a list, its singular an
    alias) and the filters (``examples``, some of the call's filter names)."""
    return f"""
options:
  {ids_option}:
    description:
      - IDs of the {what} to describe.
    type: list
    elements: str
    default: []
    aliases: [{ids_option[:-1]}]
  filters:
    description:
      - Filters as a dict of filter name to value(s), for example {examples} or C(tag:Name).
      - The filter names are those of {call}, see
        U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_{call}.html).
    type: dict
    default: {{}}
"""


class ModuleDocFragment:
    # The filters of the _info modules that list one kind of resource in one EC2 Describe call
    DOCUMENTATION: str = "\noptions:" + _FILTERS

    # Each _info module of one kind: its IDs and the filters (sitevpn.aws.info.<kind>), built by
    # _listing. The assignments are annotated because ansible-test's yamllint reads a fragment's
    # plain assignments as string literals; ansible-doc and validate-modules read the values.
    CUSTOMER_GATEWAYS: str = _listing("customer_gateway_ids", "customer gateways", "DescribeCustomerGateways", "C(ip-address), C(bgp-asn)")
    VPN_GATEWAYS: str = _listing("vpn_gateway_ids", "gateways", "DescribeVpnGateways", "C(attachment.vpc-id), C(amazon-side-asn)")
    VPN_CONNECTIONS: str = _listing("vpn_connection_ids", "connections", "DescribeVpnConnections", "C(customer-gateway-id), C(vpn-gateway-id)")
