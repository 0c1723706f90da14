"""One sandbox server per test module, wiped before each test (starting one costs ~0.3 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from revoke.sandbox import Sandbox


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    sandbox = Sandbox(seed=7)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(_server: Sandbox) -> Sandbox:
    _server.reset()
    return _server
