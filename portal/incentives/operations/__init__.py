"""Chapter 4's business logic, one module per article group: allowance (A15), housing and
welfare (A15), schooling (A16), the Young Marxist program (A17), the work appraisal (A17)."""
from portal.incentives.operations import allowance, appraisal, housing, schooling, ymp  # noqa: F401
