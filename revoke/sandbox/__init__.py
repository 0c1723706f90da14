"""Local AWS for rehearsal and tests: moto behind a layer where revocation really bites.

`Sandbox` (server.py) is the entry point. The pieces, each small:
fidelity.py (the layer in front of moto: what every request goes through), motowire.py
(moto's app and state), serving.py (HTTP on 127.0.0.1, keep-alive, the server thread),
clock.py (issue times and expiry), tokens.py (session credentials), request.py (one
request, read once), sigv4.py (signature checks), principals.py (who signed, their
policies: the only reader of moto's IAM state), authorize.py (evaluator and AccessDenied
wording), sts.py and iam.py (operations moto lacks or gets wrong), responses.py (AWS's
wire shapes), cloudtrail.py (a management event for every request; LookupEvents),
servicecreds.py (IAM service-specific credentials) and signin.py (AWS Sign-In sessions),
which moto lacks. The demo (demo/) plays the whole incident against it.

moto is imported only inside this package, and only when a sandbox starts.
"""

from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.server import Sandbox
from revoke.sandbox.servicecreds import CredentialRefused
from revoke.sandbox.signin import SigninRefused

__all__ = ["CredentialRefused", "Sandbox", "SandboxClock", "SigninRefused"]
