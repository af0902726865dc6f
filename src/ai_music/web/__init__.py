"""The HTTP plumbing of the app: middleware, CORS, headers, API docs, the server protocol."""
