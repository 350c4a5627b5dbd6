import pytest

from synthetic_runs import synthetic_runs


@pytest.fixture(scope="session")
def synthetic():
    return synthetic_runs()
