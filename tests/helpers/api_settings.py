"""Settings of the API test server, shared by tests/ui/conftest.py and the API tests."""

API_KEY = "test-key-5b7e0c"
UPLOAD_LIMIT_MB = 1
