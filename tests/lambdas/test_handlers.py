"""The Lambda handlers against the real migrated MariaDB schema, through their own PyMySQL connection."""

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from apps.matchmaking.models import Invitation
from apps.notifications.models import Notification
from lambdas.delete_denied_invite.handler import handler as denied_handler
from lambdas.delete_old_notifications.handler import handler as old_notifications_handler
from lambdas.done_invitation_cleanup.handler import handler as cleanup_handler
from lambdas.strikem_shared import tables
from tests.factories import PlayerFactory
from tests.lambdas.conftest import raw, sns_wrapped


def _invitation(inviter, invitee, status="pending"):
    return Invitation.objects.create(
        player_inviting=inviter,
        player_invited=invitee,
        status=status,
        expires_at=timezone.now() + timedelta(minutes=10),
    )


@pytest.mark.django_db(transaction=True)
def test_table_and_column_names_match_the_migrated_schema():
    expected = {
        tables.INVITATION_TABLE: ("matchmaking", "Invitation", tables.INVITATION_COLUMNS),
        tables.NOTIFICATION_TABLE: ("notifications", "Notification", tables.NOTIFICATION_COLUMNS),
    }
    existing = set(connection.introspection.table_names())
    for table, (app_label, model_name, columns) in expected.items():
        assert django_apps.get_model(app_label, model_name)._meta.db_table == table
        assert table in existing
        with connection.cursor() as cursor:
            described = {column.name for column in connection.introspection.get_table_description(cursor, table)}
        assert set(columns) <= described, (table, set(columns) - described)


def test_denied_invitation_is_deleted_and_a_duplicate_delivery_is_harmless(lambda_db):
    a, b = PlayerFactory(), PlayerFactory()
    denied = _invitation(a, b, "denied")
    pending = _invitation(b, a)
    record = sns_wrapped("m-1", "InvitationDeniedDelete", {"invitation_id": denied.id})
    assert denied_handler({"Records": [record]}, None) == {"batchItemFailures": []}
    assert not Invitation.objects.filter(pk=denied.pk).exists()
    assert denied_handler({"Records": [record]}, None) == {"batchItemFailures": []}
    # Only a denied invitation goes: an event naming a pending one deletes nothing.
    denied_handler({"Records": [sns_wrapped("m-2", "InvitationDeniedDelete", {"invitation_id": pending.id})]}, None)
    assert Invitation.objects.filter(pk=pending.pk).exists()


def test_cleanup_deletes_invitations_between_the_two_in_both_directions_only(lambda_db):
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    between = [_invitation(a, b, "accepted"), _invitation(b, a, "cancelled")]
    others = [_invitation(a, c), _invitation(c, b)]
    result = cleanup_handler({"Records": [raw("m-1", "InvitationCleanup", {"player_ids": [a.id, b.id]})]}, None)
    assert result == {"batchItemFailures": []}
    assert not Invitation.objects.filter(pk__in=[i.pk for i in between]).exists()
    assert Invitation.objects.filter(pk__in=[i.pk for i in others]).count() == 2


def test_a_batch_with_one_bad_record_reports_only_that_one(lambda_db):
    a, b, c, d = (PlayerFactory() for _ in range(4))
    first, second = _invitation(a, b, "denied"), _invitation(c, d, "denied")
    records = [
        sns_wrapped("good-1", "InvitationDeniedDelete", {"invitation_id": first.id}),
        {"messageId": "bad-json", "body": "{not json"},
        sns_wrapped("bad-payload", "InvitationDeniedDelete", {"invitation_id": "not-a-number"}),
        sns_wrapped("wrong-type", "InvitationCleanup", {"player_ids": [a.id, b.id]}),
        raw("good-2", "InvitationDeniedDelete", {"invitation_id": second.id}),
    ]
    result = denied_handler({"Records": records}, None)
    assert {item["itemIdentifier"] for item in result["batchItemFailures"]} == {"bad-json", "bad-payload", "wrong-type"}
    assert not Invitation.objects.filter(pk__in=[first.pk, second.pk]).exists()


def test_old_notifications_read_ones_first_unread_kept_longer(lambda_db):
    player = PlayerFactory()
    now = timezone.now()

    def note(days_old, read):
        notification = Notification.objects.create(recipient=player, type="INV", body="x", read=read)
        Notification.objects.filter(pk=notification.pk).update(timestamp=now - timedelta(days=days_old))
        return notification.pk

    old_read, fresh_read = note(6, True), note(2, True)
    old_unread, ancient_unread = note(10, False), note(31, False)
    assert old_notifications_handler({}, None) == {"deleted": 2}
    assert set(Notification.objects.values_list("pk", flat=True)) == {fresh_read, old_unread}
    assert old_read not in set(Notification.objects.values_list("pk", flat=True))
    assert ancient_unread not in set(Notification.objects.values_list("pk", flat=True))


def test_lambdas_are_standalone_without_django():
    from pathlib import Path

    sources = list((Path(__file__).resolve().parents[2] / "lambdas").rglob("*.py"))
    assert sources
    for source in sources:
        text = source.read_text()
        assert "import django" not in text and "from django" not in text, source
        assert "from apps" not in text and "import apps" not in text, source
