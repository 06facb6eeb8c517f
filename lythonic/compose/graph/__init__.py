"""DAGs and namespaces as users build them: ``Namespace`` (the registry, mounting,
fragments) and ``Dag`` (``>>``, map/call/switch). Running one goes down to
``run/``.
"""

from lythonic.compose.graph._dag import (
    Dag,
)
from lythonic.compose.graph._fragments import (
    FragmentMember,
    discover_fragment_methods,
    fragment_members,
)
from lythonic.compose.graph._namespace import (
    Namespace,
)

__all__ = ["Dag", "FragmentMember", "Namespace", "discover_fragment_methods", "fragment_members"]
