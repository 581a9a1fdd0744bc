"""The sandbox's GitHub GraphQL API (``POST /graphql``); see :mod:`sandbox.github`.

``GraphQLApi(world).execute(body)`` returns ``(status, headers, json_body)`` for one request body
``{"query": ..., "variables": ..., "operationName": ...}``; the HTTP server checks the
``Authorization`` header and routes here.
"""

from sandbox.github.api import GraphQLApi, github_schema

__all__ = ["GraphQLApi", "github_schema"]
