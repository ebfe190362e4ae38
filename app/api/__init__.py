"""REST routers: thin handlers that parse, call one service function and return a schema."""
