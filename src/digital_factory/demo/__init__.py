"""The drone-company story, played end to end through the product's own services.

Each capability adds one step to `STEPS` (a module in this package with a `seed(ctx)` function);
`factory demo` runs them in order on a fresh embedded store, showing progress.
"""
