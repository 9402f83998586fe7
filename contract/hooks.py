"""Schemathesis hooks for `npm run contract` (loaded through SCHEMATHESIS_HOOKS).

CPython 3.11 (Debian 12's python3) can raise a spurious
`SystemError: AST constructor recursion depth mismatch` from `ast.parse`
(python/cpython#106905). Hypothesis calls `ast.parse` only to describe a lambda
in its own reports, and Schemathesis then records a runtime error for the
operation that happened to be under test, although the API answered correctly.
A description is cosmetic, so this falls back to Hypothesis's own
"<unknown>" description when that one CPython error occurs. Any other error
still surfaces.
"""

import inspect

from hypothesis.internal import lambda_sources

_describe = lambda_sources._lambda_description


def _describe_despite_cpython_106905(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError as error:
        if "AST constructor recursion depth mismatch" not in str(error):
            raise
        try:
            params = str(inspect.signature(f))[1:-1]
        except (TypeError, ValueError):
            params = ""
        return f"lambda {params}: <unknown>" if params else "lambda: <unknown>"


lambda_sources._lambda_description = _describe_despite_cpython_106905
