"""The shapes of tournaments as plain dicts, built from the rows the selectors read: one shape for REST,
the socket's frames and the TV page (serializers.py describes them for the schema). Pure: no I/O."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from apps.tournaments import formats
from apps.tournaments.models import Entry, Tournament
from apps.tournaments.selectors import EntryRow, MatchRow, SnapshotRows


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _payouts(tournament: Tournament, players: int) -> list[dict[str, Any]]:
    pot = tournament.entry_fee * players
    return [
        {
            "place": place,
            "percent": share,
            "amount": str((pot * Decimal(str(share)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        }
        for place, share in enumerate(tournament.payout_split, start=1)
    ]


def _champion(tournament: Tournament) -> dict[str, Any] | None:
    player = tournament.champion
    return {"player_id": player.pk, "username": player.user.username} if player is not None else None


def summary_data(tournament: Tournament, *, registered: int) -> dict[str, Any]:
    """The Tournament summary shape (lists; the head of the snapshot)."""
    return {
        "id": tournament.pk,
        "name": tournament.name,
        "hall_id": tournament.hall_id,
        "hall_title": tournament.hall.title,
        "currency": tournament.hall.currency,
        "format": tournament.format,
        "game": tournament.game,
        "seeding": tournament.seeding,
        "state": tournament.state,
        "race_to": tournament.race_to,
        "final_race_to": tournament.final_race_to,
        "handicap": tournament.handicap,
        "player_cap": tournament.player_cap,
        "players_registered": registered,
        "groups": tournament.groups,
        "swiss_rounds": tournament.swiss_rounds,
        "entry_fee": f"{tournament.entry_fee:.2f}",
        "payout_split": list(tournament.payout_split),
        "registration_opens_at": _iso(tournament.registration_opens_at),
        "registration_closes_at": _iso(tournament.registration_closes_at),
        "check_in_opens_at": _iso(tournament.check_in_opens_at),
        "check_in_closes_at": _iso(tournament.check_in_closes_at),
        "starts_at": _iso(tournament.starts_at),
        "ends_at": _iso(tournament.ends_at),
        "champion": _champion(tournament),
    }


def entry_data(entry: EntryRow) -> dict[str, Any]:
    return {
        "entry_id": entry.pk,
        "player_id": entry.player_id,
        "username": entry.username,
        "seed": entry.seed,
        "status": entry.status,
        "checked_in": entry.checked_in,
        "rating": round(entry.rating_at_draw if entry.rating_at_draw is not None else entry.rating),
    }


def _side(entry_id: int | None, entries: dict[int, EntryRow]) -> dict[str, Any] | None:
    entry = entries.get(entry_id) if entry_id is not None else None
    if entry is None:
        return None
    return {
        "entry_id": entry.pk,
        "player_id": entry.player_id,
        "username": entry.username,
        "seed": entry.seed,
    }


def _source_label(source: str, keys: set[str]) -> str:
    """How the TV says where an unknown player comes from: "Winner of W1-2", "Seed 3"."""
    kind, _, ref = source.partition(":")
    if kind in ("winner", "loser") and ref in keys:
        return f"{kind.capitalize()} of {ref}"
    if kind == "seed":
        return f"Seed {ref}"
    return "Bye"


def match_card(
    match: MatchRow,
    *,
    entries: dict[int, EntryRow],
    table_numbers: dict[int, int],
    estimate: Any,
    keys: set[str],
) -> dict[str, Any]:
    probability = match.win_probability_a
    winner = entries.get(match.winner_id) if match.winner_id is not None else None
    return {
        "id": match.pk,
        "key": match.key,
        "bracket": match.bracket,
        "round": match.round,
        "group": match.group,
        "state": match.state,
        "final": match.final,
        "reset": match.reset,
        "a": _side(match.player_a_id, entries),
        "b": _side(match.player_b_id, entries),
        "from_a": _source_label(match.source_a, keys),
        "from_b": _source_label(match.source_b, keys),
        "race_a": match.race_a,
        "race_b": match.race_b,
        "score_a": match.score_a,
        "score_b": match.score_b,
        "win_probability_a": probability,
        "win_probability_b": None if probability is None else round(1 - probability, 4),
        "winner_player_id": winner.player_id if winner is not None else None,
        "forfeit": match.forfeit,
        "table_number": table_numbers.get(match.table_id) if match.table_id is not None else None,
        "called_at": _iso(match.called_at),
        "estimated_start": _iso(estimate),
    }


def _standings(tournament: Tournament, matches: list[MatchRow], entries: dict[int, EntryRow]) -> list[dict[str, Any]]:
    if tournament.format not in (Tournament.Format.ROUND_ROBIN, Tournament.Format.SWISS) or not matches:
        return []
    swiss = tournament.format == Tournament.Format.SWISS
    groups: dict[str, set[int]] = {}
    for match in matches:
        groups.setdefault(match.group, set()).update(
            pk for pk in (match.player_a_id, match.player_b_id) if pk is not None
        )
    result = []
    for group, members in sorted(groups.items()):
        games = [
            formats.Game(m.player_a_id, m.player_b_id, m.winner_id, m.score_a, m.score_b)
            for m in matches
            if m.group == group and m.winner_id is not None and m.player_a_id is not None and m.player_b_id is not None
        ]
        byes = [m.winner_id for m in matches if m.group == group and m.source_b == "bye" and m.winner_id is not None]
        rows = formats.standings(
            [(pk, entries[pk].rating_at_draw or 0.0) for pk in members if pk in entries], games, byes=byes, swiss=swiss
        )
        result.append(
            {
                "group": group,
                "rows": [
                    {
                        "rank": rank,
                        "player_id": entries[row.player].player_id,
                        "username": entries[row.player].username,
                        "played": row.played,
                        "wins": row.wins,
                        "losses": row.losses,
                        "byes": row.byes,
                        "points": row.points,
                        "racks_for": row.racks_for,
                        "racks_against": row.racks_against,
                        "rack_difference": row.rack_difference,
                        "buchholz": row.buchholz,
                        "head_to_head": row.head_to_head,
                    }
                    for rank, row in enumerate(rows, start=1)
                ],
            }
        )
    return result


def snapshot_data(rows: SnapshotRows) -> dict[str, Any]:
    """The whole tournament as watchers see it (selectors.SnapshotRows in, plain dicts out)."""
    tournament = rows.tournament
    entries = {entry.pk: entry for entry in rows.entries}
    drawn = [entry for entry in rows.entries if entry.seed is not None]
    registered = sum(1 for entry in rows.entries if entry.status == Entry.Status.REGISTERED)
    keys = {match.key for match in rows.matches}
    on_table = {match.on_table_id: match.pk for match in rows.matches if match.on_table_id is not None}
    return {
        **summary_data(tournament, registered=registered),
        "version": tournament.version,
        "started_at": _iso(tournament.started_at),
        "finished_at": _iso(tournament.finished_at),
        "swiss_round": tournament.swiss_round,
        "minutes_per_rack": rows.minutes_per_rack,
        "payouts": _payouts(tournament, len(drawn) or registered),
        "entries": [entry_data(entry) for entry in rows.entries],
        "matches": [
            match_card(
                match,
                entries=entries,
                table_numbers=rows.table_numbers,
                estimate=rows.estimates.get(match.pk),
                keys=keys,
            )
            for match in rows.matches
        ],
        "tables": [
            {"table_id": row["table_id"], "number": row["table__number"], "match_id": on_table.get(row["table_id"])}
            for row in rows.tables
        ],
        "standings": _standings(tournament, rows.matches, entries),
    }


BRACKET_TITLES = {"W": "Winners", "L": "Losers", "GF": "Grand final"}
FORMAT_LABELS = dict(Tournament.Format.choices)


def _local_time(iso: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%H:%M") if iso else ""


def page_data(snapshot: dict[str, Any], *, time_zone: str, upcoming: int = 8) -> dict[str, Any]:
    """What the bracket page lays out: the bracket's rows of columns (winners with the grand final, losers)
    or the standings, the matches on the tables, and the next ones with their estimated starts in the
    hall's time."""
    zone = ZoneInfo(time_zone)
    cards = [{**card, "start": _local_time(card["estimated_start"], zone)} for card in snapshot["matches"]]
    columns: dict[tuple[str, int], dict[str, Any]] = {}
    for card in cards:
        if card["state"] == "void" or card["bracket"] not in BRACKET_TITLES:
            continue
        grand = card["bracket"] == "GF"
        title = BRACKET_TITLES["GF"] if grand else f"{BRACKET_TITLES[card['bracket']]} {card['round']}"
        key = ("W" if grand else card["bracket"], 99 if grand else card["round"])
        columns.setdefault(key, {"title": title, "bracket": card["bracket"], "matches": []})["matches"].append(card)
    rows = [
        {"name": BRACKET_TITLES[side], "columns": [columns[key] for key in sorted(columns) if key[0] == side]}
        for side in ("W", "L")
        if any(key[0] == side for key in columns)
    ]
    playing = sorted((c for c in cards if c["state"] == "on_table"), key=lambda c: c["table_number"] or 0)
    coming = sorted(
        (c for c in cards if c["state"] in ("ready", "pending") and c["start"]),
        key=lambda c: (c["estimated_start"], c["id"]),
    )
    return {
        "format": FORMAT_LABELS.get(snapshot["format"], snapshot["format"]),
        "rows": rows,
        "playing": playing,
        "upcoming": coming[:upcoming],
        "waiting": [c for c in cards if c["state"] == "played"],
    }
