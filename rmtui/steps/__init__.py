"""The concrete release steps and the plan builder that orders them per release type."""
