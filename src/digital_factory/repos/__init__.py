"""Hosted git repositories: bare repositories in the data folder, served over HTTP by git http-backend."""
