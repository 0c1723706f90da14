"""The evaluator (revoke.core.evaluate) against AWS's own documented cases, grouped by the
module of the package whose rules they exercise.

Each group cites the AWS page its cases come from (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>). Where a table on that page gives
"Match" / "No match" rows, the rows are copied as they are.
"""
