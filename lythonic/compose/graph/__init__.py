"""DAGs and namespaces as users build them: ``Namespace`` (the registry, mounting,
fragments) and ``Dag`` (``>>``, map/call/switch). Running one goes down to
``run/``.

Loaded together: defining ``Dag`` hands the class down to ``Namespace``
(``Namespace.dag_type``), which builds one-step DAGs with it.
"""

from lythonic.compose.graph._dag import Dag
from lythonic.compose.graph._namespace import Namespace

__all__ = ["Dag", "Namespace"]
