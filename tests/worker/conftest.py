from tests.domain.conftest import admin, engineer, team  # noqa: F401
