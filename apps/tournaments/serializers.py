"""Tournament input checks, and the classes that describe the answers (the plain dicts of shapes.py) for
the schema; no I/O here."""

from decimal import Decimal

from rest_framework import serializers

from apps.core.fields import OptionalOffsetDateTimeField
from apps.tournaments.models import Tournament

# --- Input -----------------------------------------------------------------------------------------


class TournamentListInputSerializer(serializers.Serializer):
    hall = serializers.IntegerField(required=False, min_value=1, help_text="Only this hall's tournaments (its id).")
    state = serializers.ChoiceField(choices=Tournament.State.choices, required=False)


class TournamentCreateInputSerializer(serializers.Serializer):
    hall = serializers.IntegerField(min_value=1, help_text="The hall's id.")
    name = serializers.CharField(max_length=120)
    format = serializers.ChoiceField(choices=Tournament.Format.choices, default=Tournament.Format.DOUBLE_ELIMINATION)
    game = serializers.ChoiceField(choices=Tournament.Game.choices, default=Tournament.Game.EIGHT_BALL)
    seeding = serializers.ChoiceField(choices=Tournament.Seeding.choices, default=Tournament.Seeding.RATING)
    race_to = serializers.IntegerField(min_value=1, max_value=99, default=5, help_text="Racks to win a match.")
    final_race_to = serializers.IntegerField(
        min_value=1, max_value=99, required=False, allow_null=True, help_text="Racks to win the final."
    )
    handicap = serializers.BooleanField(default=False, help_text="Races set from the rating gap.")
    player_cap = serializers.IntegerField(min_value=2, max_value=128, default=32)
    groups = serializers.IntegerField(min_value=1, max_value=32, default=1, help_text="Round robin groups.")
    swiss_rounds = serializers.IntegerField(min_value=1, max_value=15, default=5, help_text="Swiss rounds.")
    entry_fee = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        default=Decimal("0"),
        help_text="In the hall's currency.",
    )
    payout_split = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        required=False,
        max_length=16,
        help_text="Percent of the pot per place, best first; adds up to 100.",
    )
    registration_opens_at = OptionalOffsetDateTimeField()
    registration_closes_at = OptionalOffsetDateTimeField()
    check_in_opens_at = OptionalOffsetDateTimeField()
    check_in_closes_at = OptionalOffsetDateTimeField()
    starts_at = OptionalOffsetDateTimeField()
    ends_at = OptionalOffsetDateTimeField(help_text="The tables are held until then.")
    tables = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=64,
        help_text="The tables' ids (`Table.id`) the tournament uses.",
    )


class CheckInInputSerializer(serializers.Serializer):
    player = serializers.IntegerField(
        required=False, min_value=1, help_text="Staff at the desk: the player to check in. Default: myself."
    )


class MatchReportInputSerializer(serializers.Serializer):
    my_score = serializers.IntegerField(min_value=0, max_value=99, help_text="Racks I won.")
    opponent_score = serializers.IntegerField(min_value=0, max_value=99, help_text="Racks my opponent won.")


class RackInputSerializer(serializers.Serializer):
    player = serializers.IntegerField(min_value=1, help_text="The player who won the rack (player id).")
    delta = serializers.ChoiceField(choices=[1, -1], default=1, help_text="1 adds a rack, -1 takes one back.")


class StaffResultInputSerializer(serializers.Serializer):
    score_a = serializers.IntegerField(min_value=0, max_value=99, help_text="Racks of the match's player `a`.")
    score_b = serializers.IntegerField(min_value=0, max_value=99, help_text="Racks of the match's player `b`.")


class CallInputSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(
        required=False, min_value=1, help_text="The table's id (`Table.id`); default: the first free one."
    )


class MoveInputSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(min_value=1, help_text="The table's id (`Table.id`).")


class ForfeitInputSerializer(serializers.Serializer):
    player = serializers.IntegerField(min_value=1, help_text="The player who did not show up (player id).")


# --- Output (for the schema; the answers are the dicts above) ---------------------------------------


class ChampionSerializer(serializers.Serializer):
    player_id = serializers.IntegerField()
    username = serializers.CharField()


class TournamentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hall_id = serializers.IntegerField(help_text="The hall's id.")
    hall_title = serializers.CharField()
    currency = serializers.CharField(help_text="The hall's currency (ISO 4217).")
    format = serializers.ChoiceField(choices=Tournament.Format.choices)
    game = serializers.ChoiceField(choices=Tournament.Game.choices)
    seeding = serializers.ChoiceField(choices=Tournament.Seeding.choices)
    state = serializers.CharField(help_text="registration, running or finished.")
    race_to = serializers.IntegerField(help_text="Racks to win a match.")
    final_race_to = serializers.IntegerField(allow_null=True, help_text="Racks to win the final; null: race_to.")
    handicap = serializers.BooleanField()
    player_cap = serializers.IntegerField()
    players_registered = serializers.IntegerField()
    groups = serializers.IntegerField()
    swiss_rounds = serializers.IntegerField()
    entry_fee = serializers.CharField(help_text="In the hall's currency.")
    payout_split = serializers.ListField(child=serializers.IntegerField(), help_text="Percent of the pot per place.")
    registration_opens_at = serializers.DateTimeField()
    registration_closes_at = serializers.DateTimeField()
    check_in_opens_at = serializers.DateTimeField()
    check_in_closes_at = serializers.DateTimeField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    champion = ChampionSerializer(allow_null=True)


class TournamentEntrySerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    player_id = serializers.IntegerField()
    username = serializers.CharField()
    seed = serializers.IntegerField(allow_null=True, help_text="From the draw on.")
    status = serializers.CharField(help_text="registered, withdrawn or dropped.")
    checked_in = serializers.BooleanField()
    rating = serializers.IntegerField(help_text="Rating points (at the draw once drawn).")


class MatchSideSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    player_id = serializers.IntegerField()
    username = serializers.CharField()
    seed = serializers.IntegerField(allow_null=True)


class MatchCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(help_text='Its place in the draw: "W2-1", "L3-1", "GF1", "RR-A2-1", "S3-4".')
    bracket = serializers.CharField(help_text="W, L, GF, RR or SW.")
    round = serializers.IntegerField()
    group = serializers.CharField()
    state = serializers.CharField(help_text="pending, ready, on_table, played, done or void.")
    final = serializers.BooleanField()
    reset = serializers.BooleanField(help_text="The grand final's second match.")
    a = MatchSideSerializer(allow_null=True)
    b = MatchSideSerializer(allow_null=True)
    from_a = serializers.CharField(help_text='Where player a comes from: "Winner of W1-2".')
    from_b = serializers.CharField()
    race_a = serializers.IntegerField()
    race_b = serializers.IntegerField()
    score_a = serializers.IntegerField()
    score_b = serializers.IntegerField()
    win_probability_a = serializers.FloatField(allow_null=True)
    win_probability_b = serializers.FloatField(allow_null=True)
    winner_player_id = serializers.IntegerField(allow_null=True)
    forfeit = serializers.BooleanField()
    table_number = serializers.IntegerField(allow_null=True)
    called_at = serializers.DateTimeField(allow_null=True)
    estimated_start = serializers.DateTimeField(allow_null=True)


class TournamentTableSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(help_text="The table's id (`Table.id`).")
    number = serializers.IntegerField()
    match_id = serializers.IntegerField(allow_null=True)


class StandingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    player_id = serializers.IntegerField()
    username = serializers.CharField()
    played = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    byes = serializers.IntegerField()
    points = serializers.IntegerField()
    racks_for = serializers.IntegerField()
    racks_against = serializers.IntegerField()
    rack_difference = serializers.IntegerField()
    buchholz = serializers.FloatField()
    head_to_head = serializers.IntegerField()


class StandingsSerializer(serializers.Serializer):
    group = serializers.CharField()
    rows = StandingRowSerializer(many=True)


class PayoutSerializer(serializers.Serializer):
    place = serializers.IntegerField()
    percent = serializers.IntegerField()
    amount = serializers.CharField()


class TournamentSerializer(TournamentSummarySerializer):
    version = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    swiss_round = serializers.IntegerField()
    minutes_per_rack = serializers.FloatField()
    payouts = PayoutSerializer(many=True)
    entries = TournamentEntrySerializer(many=True)
    matches = MatchCardSerializer(many=True)
    tables = TournamentTableSerializer(many=True)
    standings = StandingsSerializer(many=True)
