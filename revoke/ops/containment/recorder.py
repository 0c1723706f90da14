"""`RevocationRecorder`: the containment and journal half of a `revoke user|role` run.

It plugs into the revocation run (revoke.ops.revocation.plan_run/apply_run); its parts
are in the modules beside this one (revoke.ops.containment's docstring says what each
hook does).
"""

from __future__ import annotations

from revoke.ops.containment.executors import StepExecutors
from revoke.ops.containment.planning import RecorderPlanning


class RevocationRecorder(RecorderPlanning, StepExecutors):
    """Evidence, containment and journal records for one `revoke user|role` run."""
