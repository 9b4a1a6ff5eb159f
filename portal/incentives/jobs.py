"""Chapter 4's background jobs: a month's allowance run over every chair of a large tenant."""
from __future__ import annotations


def compute_allowance_run(run_id: int):
    """Compute a draft run's lines (portal.jobs runs it in the run's tenant)."""
    from portal.extensions import db
    from portal.incentives.operations import allowance
    from portal.jobs.runner import set_progress
    from tenants.models import Tenant

    run = allowance.get_run(run_id)
    if run is None:
        return {"error": "run not found"}
    tenant = db.session.get(Tenant, run.tenant_id)
    allowance.compute_run(tenant, run, actor="后台任务",
                          progress=lambda frac, msg: set_progress(frac * 100, msg))
    return {"run_id": run.id, "chairs": run.chairs, "total": str(run.total)}
