"""The real table and column names of the Django models the Lambdas touch.

A test compares these with the migrated schema, so renaming a model cannot silently break a Lambda.
"""

INVITATION_TABLE = "matchmaking_invitation"
INVITATION_COLUMNS = ("id", "player_inviting_id", "player_invited_id", "status")
NOTIFICATION_TABLE = "notifications_notification"
NOTIFICATION_COLUMNS = ("id", "read", "timestamp")
