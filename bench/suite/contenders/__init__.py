"""One module per contender, each exposing `CONTENDER` (an object of the `Contender` protocol).

The suite imports `contenders.<name with - as _>` lazily: a module that fails to import or to
prepare is reported as missing, not a crash.
"""
