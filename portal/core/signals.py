"""Signals between features (blinker), so that one feature can react to another's events
without the two importing each other (STYLE: cross-chapter effects go out as signals)."""
from blinker import Namespace

_signals = Namespace()

# sender: the locked User; kwargs: tenant_id (whose outbox to use), lock_url, minutes.
# portal.notifications mails the owner the link that lifts the lock.
account_locked = _signals.signal("account-locked")
