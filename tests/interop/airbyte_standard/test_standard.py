"""Airbyte's standard source tests, in process, against the Rust binary.

The CDK's `SourceTestSuiteBase` drives a Python `Source` through `AirbyteEntrypoint`. The
class below is a thin proxy: each of spec/check/discover/read runs the binary with the
files the entrypoint was given and hands back what the binary printed. Catalog and state
paths are passed through untouched, so the binary (not the CDK's models) judges them, as
the platform does. Environment: SOURCE_LINKEDIN_PAGES_BIN (the binary) and
STANDARD_TESTS_ROOT (the connector root holding acceptance-test-config.yml).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConnectorSpecification,
    FailureType,
    Type,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

BIN = os.environ["SOURCE_LINKEDIN_PAGES_BIN"]
ROOT = Path(os.environ["STANDARD_TESTS_ROOT"])


def _traced(trace_error: Any, default: str) -> AirbyteTracedException:
    """The binary's TRACE error as the exception a Python source would raise."""
    if trace_error is None:
        return AirbyteTracedException(message=default, failure_type=FailureType.system_error)
    return AirbyteTracedException(
        message=trace_error.message,
        internal_message=trace_error.internal_message,
        failure_type=trace_error.failure_type or FailureType.system_error,
    )


class BinarySource(Source):
    """Runs the connector binary for every verb."""

    def _run(self, args: list[str]) -> Iterator[AirbyteMessage]:
        """Yields each stdout line as a message; raises if the binary exits non-zero."""
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen([BIN, *args], stdout=subprocess.PIPE, stderr=stderr)
            assert proc.stdout is not None
            last_error = None
            for line in proc.stdout:
                message = AirbyteMessageSerializer.load(json.loads(line))
                if message.type == Type.TRACE and message.trace.error is not None:
                    last_error = message.trace.error
                yield message
            code = proc.wait()
            if code != 0:
                stderr.seek(0)
                tail = stderr.read().decode(errors="replace")[-2000:]
                raise _traced(last_error, f"{BIN} {args[0]} exited with {code}: {tail}")

    def _with_config(self, verb: str, config: Mapping[str, Any], *extra: str) -> Iterator[AirbyteMessage]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.json"
            path.write_text(json.dumps(config))
            yield from self._run([verb, "--config", str(path), *extra])

    @staticmethod
    def _only(messages: Iterable[AirbyteMessage], kind: Type) -> Any:
        found, error = [], None
        for m in messages:
            if m.type == kind:
                found.append(m)
            elif m.type == Type.TRACE and m.trace.error is not None:
                error = m.trace.error
        if len(found) != 1:
            raise _traced(error, f"expected one {kind.value} message, got {len(found)}")
        return found[0]

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return self._only(self._run(["spec"]), Type.SPEC).spec

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        return self._only(self._with_config("check", config), Type.CONNECTION_STATUS).connectionStatus

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        return self._only(self._with_config("discover", config), Type.CATALOG).catalog

    # The entrypoint parses the catalog and state before `read`; keep the paths instead.
    def read_catalog(self, catalog_path: str) -> str:  # type: ignore[override]
        return catalog_path

    def read_state(self, state_path: str | None) -> str | None:  # type: ignore[override]
        return state_path

    def read(  # type: ignore[override]
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: str,
        state: str | None = None,
    ) -> Iterator[AirbyteMessage]:
        extra = ["--catalog", catalog] + (["--state", state] if state else [])
        yield from self._with_config("read", config, *extra)


class TestSourceLinkedinPages(SourceTestSuiteBase):
    """Every in-process standard test, against the binary through `BinarySource`."""

    connector = BinarySource

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return ROOT
