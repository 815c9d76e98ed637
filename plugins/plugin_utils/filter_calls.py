# -*- coding: utf-8 -*-

# Copyright: Contributors to the sitevpn.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Jinja side of the collection's filters: each checks its input's type, calls the pure function
in module_utils and turns that function's errors into AnsibleFilterError naming the filter."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# What the pure functions raise on input they cannot read
INPUT_ERRORS = (ValueError, TypeError, KeyError)


def expect(name, value, kinds, what):
    """``value`` if it is one of ``kinds``, else the filter fails: '<name> expects <what>, got <type>'."""
    if not isinstance(value, kinds):
        raise AnsibleFilterError(f"{name} expects {what}, got {type(value).__name__}")
    return value


def call(name, func, *args, errors=INPUT_ERRORS):
    """``func(*args)``; one of ``errors`` fails the filter as '<name>: <error>'."""
    try:
        return func(*args)
    except errors as e:
        raise AnsibleFilterError(f"{name}: {e}") from e
