"""The case builders, one module per family. Each module has `cases()`, which returns its list of
`Case` objects (case.py); FAMILIES fixes the order in which generate.py lists and runs them."""
from . import attention, keras3, layers, numerics, old_formats, operations, options, recurrent, seed_models

FAMILIES = [seed_models, options, attention, keras3, old_formats, layers, numerics, recurrent, operations]


def all_cases():
    return [case for module in FAMILIES for case in module.cases()]
