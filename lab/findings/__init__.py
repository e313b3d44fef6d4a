"""The finding services moto lacks or answers wrongly: GuardDuty GetFindings, Security Hub GetFindings filters and BatchUpdateFindings."""
from lab import moto_state
from lab.findings import securityhub
from lab.findings.errors import FindingsError
from lab.findings.guardduty import GuardDutyFindings

__all__ = ["FindingsEmulator", "FindingsError"]


class FindingsEmulator:
    """Answers the finding actions listed in HANDLED; every other GuardDuty or Security Hub action is moto's."""

    HANDLED = {("guardduty", "GetFindings"), ("securityhub", "GetFindings"), ("securityhub", "BatchUpdateFindings")}

    def __init__(self):
        self.guardduty = GuardDutyFindings()

    def handles(self, call):
        return (call.service, call.action) in self.HANDLED

    def dispatch(self, call):
        """The JSON answer, or FindingsError."""
        account = moto_state.account_for(call.access_key)
        if call.service == "guardduty":
            return self.guardduty.dispatch(call, account)
        if call.action == "GetFindings":
            return securityhub.get_findings(call.params, account, call.region)
        return securityhub.batch_update_findings(call.params, account, call.region)

    def reset(self):
        self.guardduty.reset()
