"""The learner web app (static files, no build step) and the development sign-in endpoint."""
