"""The instance-profile association of an EC2 instance (issue 19 item 3).

A new association makes the instance metadata service hand out fresh role credentials
(AWS-FACTS fact 29; EC2 User Guide, iam-roles-for-amazon-ec2.html#attach-iam-role), so a
deny on the credentials issued before the cutoff stops the stolen ones without stopping
the instance. ReplaceIamInstanceProfileAssociation passes the profile's role to EC2:
the caller needs iam:PassRole on it (deploy/template.yaml grants it).
"""

from __future__ import annotations

from typing import Any

from revoke.aws.errors import aws_errors
from revoke.aws.session import WRITE_ATTEMPTS, AwsSession


def current_association(
    session: AwsSession, instance_id: str, region: str | None
) -> dict[str, Any] | None:
    """The instance's associated profile: {"association_id", "profile_arn"}, or None."""
    client = session.client("ec2", region=region)
    with aws_errors(f"ec2:DescribeIamInstanceProfileAssociations {instance_id}"):
        found = client.describe_iam_instance_profile_associations(
            Filters=[
                {"Name": "instance-id", "Values": [instance_id]},
                {"Name": "state", "Values": ["associated"]},
            ]
        )["IamInstanceProfileAssociations"]
    if not found:
        return None
    return {
        "association_id": found[0]["AssociationId"],
        "profile_arn": found[0]["IamInstanceProfile"]["Arn"],
    }


def replace_association(
    session: AwsSession, association_id: str, profile_arn: str, region: str | None
) -> str:
    """Associate the same profile anew; the new association's ID."""
    client = session.client("ec2", attempts=WRITE_ATTEMPTS, region=region)
    with aws_errors(f"ec2:ReplaceIamInstanceProfileAssociation {association_id}"):
        found = client.replace_iam_instance_profile_association(
            AssociationId=association_id, IamInstanceProfile={"Arn": profile_arn}
        )
    return str(found["IamInstanceProfileAssociation"]["AssociationId"])
