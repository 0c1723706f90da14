"""Run the `revoke` CLI with another throttling strategy, to compare them (benchmark only).

    python benchmarks/revoke_variant.py limiter|adaptive|standard -- REVOKE ARGS...

- `limiter`: the product as shipped: standard retries + revoke.aws.ratelimit;
- `adaptive`: botocore's own `retry_mode="adaptive"` (client-side rate limiter in
  botocore/retries/adaptive.py), revoke's limiter off;
- `standard`: standard retries alone, no client-side limiter.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    variant, rest = sys.argv[1], sys.argv[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if variant not in ("limiter", "adaptive", "standard"):
        sys.exit(f"unknown variant {variant!r}")
    from revoke.aws import ratelimit, session

    if variant != "limiter":
        ratelimit.AdaptiveRateLimiter.attach = lambda self, client: None  # type: ignore[method-assign]
    if variant == "adaptive":
        import botocore.config

        shipped = session.client_config

        def adaptive(**kwargs: Any) -> botocore.config.Config:
            config = shipped(**kwargs)
            # The shipped config names its attempts (total_max_attempts) or leaves them to
            # the AWS config; only the mode changes here.
            retries = {**(config.retries or {}), "mode": "adaptive"}
            return config.merge(botocore.config.Config(retries=retries))

        session.client_config = adaptive  # type: ignore[assignment]
    from revoke.cli.app import main as revoke_main

    revoke_main(rest)


if __name__ == "__main__":
    main()
