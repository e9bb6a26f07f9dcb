"""The platform: golden-path templates, one-step onboarding, the template fleet, scorecards."""
