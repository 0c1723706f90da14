"""The writes that contain a user's other credentials, and a role's trust (issue 15).

Every write here deactivates or adds; nothing is ever deleted (AWS-FACTS 21, 24): an
inactive credential is evidence and can be reactivated by `revoke lift`.

- UpdateServiceSpecificCredential / UpdateSSHPublicKey / UpdateSigningCertificate
  `Status=Inactive|Active` (IAM API Reference; IAM User Guide
  id_credentials_api_keys_for_aws_services, id_credentials_ssh-keys);
- DeactivateMFADevice (one way: re-enabling needs two codes from the device,
  API_EnableMFADevice);
- signin:BatchRevokeSessions, up to five session ARNs a call (botocore `signin` model:
  "A revoked session can no longer be refreshed"); the answer's `errors` name the
  sessions it did not revoke, without failing the call;
- UpdateAssumeRolePolicy: the role's trust document (API_UpdateAssumeRolePolicy).

The reads are CredentialReader's (revoke.aws.credentials), so the plan sees what
`revoke residual` sees.
"""

from __future__ import annotations

import json
from typing import Any

from revoke.aws import wire
from revoke.aws.credentials import CredentialReader, signin_client
from revoke.aws.errors import aws_errors
from revoke.aws.session import AwsSession
from revoke.core.coverage import SIGNIN_REVOKE_BATCH


class ContainmentCalls(CredentialReader):
    """Reads (inherited) and the containment writes over one AwsSession."""

    def __init__(self, session: AwsSession) -> None:
        super().__init__(session)

    @property
    def writer(self) -> Any:
        return self.gateway.iam_writer

    def set_service_credential_status(self, user: str, credential_id: str, status: str) -> None:
        with aws_errors(f"iam:UpdateServiceSpecificCredential {credential_id}"):
            self.writer.update_service_specific_credential(
                UserName=user, ServiceSpecificCredentialId=credential_id, Status=status
            )

    def set_ssh_key_status(self, user: str, key_id: str, status: str) -> None:
        with aws_errors(f"iam:UpdateSSHPublicKey {key_id}"):
            self.writer.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status=status)

    def set_certificate_status(self, user: str, certificate_id: str, status: str) -> None:
        with aws_errors(f"iam:UpdateSigningCertificate {certificate_id}"):
            self.writer.update_signing_certificate(
                UserName=user, CertificateId=certificate_id, Status=status
            )

    def deactivate_mfa_device(self, user: str, serial: str) -> None:
        with aws_errors(f"iam:DeactivateMFADevice {serial}"):
            self.writer.deactivate_mfa_device(UserName=user, SerialNumber=serial)

    def revoke_signin_sessions(
        self, principal_arn: str, session_arns: list[str], reason: str
    ) -> dict[str, str]:
        """BatchRevokeSessions for at most five sessions: {session ARN: error} for the ones
        it did not revoke (empty: all revoked, or already revoked, which succeeds)."""
        if not 1 <= len(session_arns) <= SIGNIN_REVOKE_BATCH:
            raise ValueError(f"BatchRevokeSessions takes 1 to {SIGNIN_REVOKE_BATCH} sessions")
        with aws_errors(f"signin:BatchRevokeSessions {principal_arn}"):
            answer = signin_client(self.session).batch_revoke_sessions(
                principalArn=principal_arn, sessionArns=list(session_arns), reason=reason
            )
        return {
            str(e.get("sessionArn")): f"{e.get('code')}: {e.get('message')}"
            for e in answer.get("errors") or []
        }

    def trust_document(self, role: str) -> dict[str, Any] | None:
        with aws_errors(f"iam:GetRole {role}"):
            found = self.iam.get_role(RoleName=role)["Role"].get("AssumeRolePolicyDocument")
        return wire.document(found) if found else None

    def put_trust_document(self, role: str, document: dict[str, Any]) -> None:
        with aws_errors(f"iam:UpdateAssumeRolePolicy {role}"):
            self.writer.update_assume_role_policy(
                RoleName=role, PolicyDocument=json.dumps(document, separators=(",", ":"))
            )
