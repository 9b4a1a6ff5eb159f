"""Signals between features (blinker), so that one feature can react to another's events
without the two importing each other (STYLE: cross-chapter effects go out as signals)."""
from blinker import Namespace

_signals = Namespace()

# sender: the locked User; kwargs: tenant_id (whose outbox to use), lock_url, minutes.
# portal.notifications mails the owner the link that lifts the lock.
account_locked = _signals.signal("account-locked")

# sender: the new Chair (A6.5 confirmed); kwargs: cycle, nomination, actor. Sent once per chair,
# in the confirming transaction; portal.residency opens the chair's residency and login.
chair_appointed = _signals.signal("chair.appointed")
# sender: the Residency; kwargs: status, ended_on, actor (A18 removal, A21, or the term's end).
residency_ended = _signals.signal("residency.ended")

