"""Code shared by the cleanup Lambdas (and run by Django's local handlers when AWS is not configured).

No Django import anywhere under lambdas/: the functions here take a DB-API cursor with the `%s`
parameter style (PyMySQL in Lambda, Django's cursor locally).
"""
