"""The sandbox's GitHub GraphQL API: schema subset (``schema.graphql``), world indexes, resolver
views, GitHub's static query checks and cost, and the endpoint (:class:`GraphQLApi`)."""
