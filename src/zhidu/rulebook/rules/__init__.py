"""Pure rules of the regulations, one module per regulation (``p7.py`` for P7 …).

Each rule is registered with ``@rule("<id>", clauses=[...])`` from ``zhidu.rulebook.decision`` and
returns a ``Decision``. Importing this package imports every module, so the registry is complete.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
