"""The formats' laws, as property tests over every size from 2 to 64 (pure functions, no database)."""

import random
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.tournaments import formats
from apps.tournaments.formats import (
    FormatError,
    Game,
    Running,
    Seedable,
    Source,
    SwissPlayer,
    Waiting,
    bracket_state,
    champion,
    double_elimination,
    estimate_starts,
    handicap_races,
    match_win_probability,
    pick_calls,
    round_robin,
    single_elimination,
    standings,
    swiss_pairings,
)

SIZES = st.integers(min_value=2, max_value=64)
EVERY_SIZE = range(2, 65)


def _play(specs, players: int, rng: random.Random, *, check=None):
    """Play a bracket to its end with random winners, in a random order among the playable matches;
    `check(state, losses)` runs after every result. Returns (state, losses, matches played)."""
    seeds = {seed: seed for seed in range(1, players + 1)}  # player n is seed n
    winners: dict[str, int] = {}
    losses: Counter[int] = Counter()
    played = 0
    while True:
        state = bracket_state(specs, seeds, winners)
        ready = [key for key, placed in state.items() if placed.ready]
        if not ready:
            return state, losses, played
        key = rng.choice(ready)
        placed = state[key]
        winner = rng.choice([placed.a, placed.b])
        winners[key] = winner
        losses[placed.b if winner == placed.a else placed.a] += 1
        played += 1
        if check is not None:
            check(bracket_state(specs, seeds, winners), losses)


def _open_matches_of(state) -> Counter[int]:
    """How many undecided, non-void matches each placed player is in."""
    seen: Counter[int] = Counter()
    for placed in state.values():
        if placed.winner is None and not placed.void:
            seen.update(p for p in (placed.a, placed.b) if p is not None)
    return seen


@pytest.mark.parametrize("players", EVERY_SIZE)
def test_single_elimination_has_n_minus_one_matches_and_one_champion(players) -> None:
    specs = single_elimination(players)
    assert len(specs) == players - 1
    state, losses, played = _play(specs, players, random.Random(players))
    assert played == players - 1
    winner = champion(specs, state)
    assert winner is not None and losses[winner] == 0
    assert all(losses[p] == 1 for p in range(1, players + 1) if p != winner)


@pytest.mark.parametrize("players", EVERY_SIZE)
def test_byes_go_to_the_top_seeds(players) -> None:
    size = 1 << (players - 1).bit_length()
    byes = size - players
    for specs in (single_elimination(players), double_elimination(players)):
        first_round = {source.ref for spec in specs if spec.key.startswith("W1-") for source in (spec.a, spec.b)}
        straight_on = set(range(1, players + 1)) - first_round
        assert straight_on == set(range(1, byes + 1))
        assert all(s.kind != "bye" for spec in specs for s in (spec.a, spec.b))


@given(players=SIZES, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_double_elimination_laws(players, seed) -> None:
    specs = double_elimination(players)
    assert len(specs) == 2 * players - 1  # every match that may be played, the reset included
    assert [spec.key for spec in specs[-2:]] == ["GF1", "GF2"] and specs[-1].reset

    def check(state, losses) -> None:
        open_seats = _open_matches_of(state)
        # Nobody plays two matches at once ...
        assert all(count == 1 for count in open_seats.values()), open_seats
        # ... and nobody is out before losing twice: everyone with fewer than two losses has a match to come.
        if champion(specs, state) is None:
            alive = {p for p in range(1, players + 1) if losses[p] < 2}
            assert alive == set(open_seats), alive ^ set(open_seats)

    state, losses, played = _play(specs, players, random.Random(seed), check=check)
    winner = champion(specs, state)
    assert winner is not None
    reset = not state["GF2"].void
    assert played == (2 * players - 1 if reset else 2 * players - 2)
    assert losses[winner] == (1 if reset else 0)
    assert all(losses[p] == 2 for p in range(1, players + 1) if p != winner)


def test_the_reset_is_played_only_when_the_losers_side_wins_the_first_grand_final() -> None:
    specs = double_elimination(4)
    seeds = {1: 1, 2: 2, 3: 3, 4: 4}
    winners = {"W1-1": 1, "W1-2": 2, "W2-1": 1, "L1-1": 4, "L2-1": 2}
    assert bracket_state(specs, seeds, winners)["GF1"].ready
    state = bracket_state(specs, seeds, {**winners, "GF1": 1})
    assert state["GF2"].void and champion(specs, state) == 1
    state = bracket_state(specs, seeds, {**winners, "GF1": 2})
    assert state["GF2"].ready and (state["GF2"].a, state["GF2"].b) == (1, 2)
    assert champion(specs, bracket_state(specs, seeds, {**winners, "GF1": 2, "GF2": 2})) == 2


def test_forgetting_a_result_reopens_what_it_decided() -> None:
    specs = single_elimination(8)
    seeds = {n: n for n in range(1, 9)}
    winners = {"W1-1": 1, "W1-2": 4, "W2-1": 1}
    assert bracket_state(specs, seeds, winners)["W3-1"].a == 1
    assert formats.downstream(specs, "W1-1") == {"W2-1", "W3-1"}
    del winners["W1-1"]
    state = bracket_state(specs, seeds, winners)
    assert state["W2-1"].a is None and state["W2-1"].winner is None  # the later winner no longer stands


@given(players=st.integers(2, 64), groups=st.integers(1, 8))
@settings(max_examples=150, deadline=None)
def test_round_robin_everyone_meets_their_group_once_and_nobody_twice_in_a_round(players, groups) -> None:
    if players < 2 * groups:
        with pytest.raises(FormatError):
            round_robin(players, groups=groups)
        return
    specs = round_robin(players, groups=groups)
    group_of: dict[int, str] = {}
    pairs: Counter[frozenset] = Counter()
    by_round: dict[tuple[str, int], list[int]] = {}
    for spec in specs:
        a, b = int(spec.a.ref), int(spec.b.ref)
        assert group_of.setdefault(a, spec.group) == spec.group == group_of.setdefault(b, spec.group)
        pairs[frozenset((a, b))] += 1
        by_round.setdefault((spec.group, spec.round), []).extend((a, b))
    assert set(group_of) == set(range(1, players + 1))
    sizes = Counter(group_of.values())
    assert max(sizes.values()) - min(sizes.values()) <= 1
    for group in sizes:
        members = [p for p, g in group_of.items() if g == group]
        assert all(pairs[frozenset(pair)] == 1 for pair in combinations(members, 2))
    assert sum(pairs.values()) == sum(k * (k - 1) // 2 for k in sizes.values())
    assert all(len(seats) == len(set(seats)) for seats in by_round.values())


def test_round_robin_deals_the_top_seeds_to_different_groups() -> None:
    specs = round_robin(8, groups=4)
    groups = {}
    for spec in specs:
        groups.setdefault(spec.group, set()).update({spec.a.ref, spec.b.ref})
    assert sorted(sorted(members) for members in groups.values()) == [[1, 8], [2, 7], [3, 6], [4, 5]]


def _swiss_has_rematch_free_pairing(players: list[int], met: set[frozenset]) -> bool:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(players)
    graph.add_edges_from(pair for pair in combinations(players, 2) if frozenset(pair) not in met)
    return len(nx.max_weight_matching(graph, maxcardinality=True)) * 2 == len(players)


@given(players=SIZES, rounds=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=120, deadline=None)
def test_swiss_pairs_everyone_avoids_rematches_and_gives_the_bye_to_the_lowest_without_one(
    players, rounds, seed
) -> None:
    rng = random.Random(seed)
    ratings = {p: rng.uniform(1000, 2200) for p in range(1, players + 1)}
    score: Counter[int] = Counter()
    met: set[frozenset] = set()
    had_bye: set[int] = set()
    for _round in range(rounds):
        field = [SwissPlayer(p, score[p], ratings[p]) for p in ratings]
        ranked = formats.swiss_rank(field)
        pairs, bye = swiss_pairings(field, met=met, had_bye=had_bye)
        seated = [p for pair in pairs for p in pair] + ([bye] if bye is not None else [])
        assert sorted(seated) == sorted(ratings)  # everyone plays or has the bye, once
        if players % 2:
            without = [p.player for p in ranked if p.player not in had_bye]
            assert bye == (without[-1] if without else ranked[-1].player)
            had_bye.add(bye)
            score[bye] += 1
        else:
            assert bye is None
        rest = [p for p in ratings if p != bye]
        rematches = [pair for pair in pairs if frozenset(pair) in met]
        if _swiss_has_rematch_free_pairing(rest, met):
            assert not rematches
        for a, b in pairs:
            met.add(frozenset((a, b)))
            score[rng.choice((a, b))] += 1


def test_swiss_pairs_by_score_first() -> None:
    field = [SwissPlayer(1, 2, 1500), SwissPlayer(2, 2, 1400), SwissPlayer(3, 0, 2000), SwissPlayer(4, 0, 1900)]
    pairs, bye = swiss_pairings(field, met=set(), had_bye=set())
    assert {frozenset(pair) for pair in pairs} == {frozenset((1, 2)), frozenset((3, 4))} and bye is None


def test_seeding_by_rating_random_and_hand() -> None:
    entries = [Seedable(1, 1500), Seedable(2, 1700), Seedable(3, 1600, manual=1), Seedable(4, 1400)]
    assert formats.seed_order(entries, method="rating") == [2, 3, 1, 4]
    assert formats.seed_order(entries, method="manual") == [3, 2, 1, 4]
    shuffled = formats.seed_order(entries, method="random", rng=random.Random(7))
    assert sorted(shuffled) == [1, 2, 3, 4]
    assert shuffled == formats.seed_order(entries, method="random", rng=random.Random(7))


def test_standings_rank_by_wins_then_head_to_head_then_rack_difference() -> None:
    players = [(1, 1500), (2, 1500), (3, 1500)]
    games = [Game(1, 2, 2, 3, 5), Game(2, 3, 3, 4, 5), Game(3, 1, 1, 0, 5)]  # a circle: everyone 1-1
    table = standings(players, games)
    assert [row.wins for row in table] == [1, 1, 1]
    assert [row.player for row in table] == [1, 2, 3]  # rack difference +3, +1, -4 (head-to-head all 1)
    table = standings([(1, 1500), (2, 1500), (3, 1500)], [Game(1, 2, 1, 5, 4), Game(3, 2, 3, 5, 0)])
    assert [row.player for row in table][:2] == [3, 1]  # same wins, no head-to-head between them, racks decide
    swiss = standings(players, [Game(1, 2, 1, 5, 1)], byes=[3], swiss=True)
    assert [(row.player, row.points) for row in swiss] == [(1, 1), (3, 1), (2, 0)]  # Buchholz 0 vs 0: racks


@given(chance=st.floats(0.02, 0.98), race=st.integers(2, 11))
@settings(max_examples=200, deadline=None)
def test_handicap_evens_the_chances_and_never_favours_the_stronger(chance, race) -> None:
    race_a, race_b = handicap_races(chance, race)
    stronger_race, weaker_race = (race_a, race_b) if chance >= 0.5 else (race_b, race_a)
    assert stronger_race == race and 1 <= weaker_race <= race
    before = abs(match_win_probability(chance, race, race) - 0.5)
    after = abs(match_win_probability(chance, race_a, race_b) - 0.5)
    assert after <= before + 1e-9


def test_a_score_fits_a_race_only_when_one_side_reaches_it() -> None:
    from apps.tournaments.formats import score_fits

    assert score_fits(5, 3, race_a=5, race_b=5)
    assert score_fits(2, 4, race_a=5, race_b=4)
    assert not score_fits(5, 7, race_a=5, race_b=5)
    assert not score_fits(5, 5, race_a=5, race_b=5)
    assert not score_fits(4, 3, race_a=5, race_b=5)


def test_estimated_starts_follow_the_tables_as_they_free() -> None:
    running = [Running("A", (1, 2), racks=2), Running("B", (3, 4), racks=4)]
    waiting = [
        Waiting("C", (5, 6), (), racks=5),
        Waiting("D", (None, 7), ("A",), racks=5),
        Waiting("E", (8, 9), (), racks=5),
    ]
    starts = estimate_starts(free_tables=1, running=running, waiting=waiting, minutes_per_rack=6)
    assert starts["C"] == 0  # a table is free now
    assert starts["D"] == 12  # A ends after its 2 racks, 6 minutes each; its winner plays D
    assert starts["E"] == 24  # B's table frees at 24, before C's (30)


@given(
    ready=st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), max_size=20),
    busy=st.sets(st.integers(1, 12), max_size=6),
    tables=st.lists(st.integers(1, 8), unique=True, max_size=8),
)
def test_calling_never_puts_one_player_or_one_table_twice(ready, busy, tables) -> None:
    queue = [(f"M{index}", a, b) for index, (a, b) in enumerate(ready)]
    calls = pick_calls(queue, busy=busy, free_tables=tables)
    players = [p for key, _table in calls for p in next((a, b) for k, a, b in queue if k == key)]
    assert len(players) == len(set(players)) and not set(players) & busy
    assert len({table for _key, table in calls}) == len(calls)
    assert len({key for key, _table in calls}) == len(calls)
    # As many calls as there can be: a free table stays free only when no ready match could take it.
    called = {key for key, _table in calls}
    if len(calls) < len(tables):
        taken = busy | set(players)
        assert not [k for k, a, b in queue if k not in called and a != b and not {a, b} & taken]


def test_sources_read_back() -> None:
    for text in ("seed:3", "winner:W1-2", "loser:GF1", "bye"):
        assert str(Source.parse(text)) == text


def _first_round_clashes(order: list[int], apart: set[frozenset]) -> int:
    return sum(frozenset((order[a - 1], order[b - 1])) in apart for a, b in formats.first_round_pairs(len(order)))


@given(players=SIZES, data=st.data())
@settings(max_examples=150, deadline=None)
def test_blocked_players_are_kept_out_of_each_others_first_round_match(players, data) -> None:
    """Keeping apart players who block each other trades seeds among the first round's players only, never
    makes more first-round clashes, and clears them all when each player blocks at most one other."""
    order = data.draw(st.permutations(list(range(100, 100 + players))))
    pool = data.draw(st.lists(st.sampled_from(order), unique=True, max_size=players))
    matching = {frozenset(pool[i : i + 2]) for i in range(0, len(pool) - 1, 2)}
    extra = data.draw(st.sets(st.tuples(st.sampled_from(order), st.sampled_from(order)), max_size=6))
    everything = matching | {frozenset(pair) for pair in extra if pair[0] != pair[1]}
    pairs = formats.first_round_pairs(players)
    playing = {seed for pair in pairs for seed in pair}
    for apart in (matching, everything):
        kept = formats.keep_apart(order, apart)
        assert sorted(kept) == sorted(order)
        assert all(kept[seed - 1] == order[seed - 1] for seed in range(1, players + 1) if seed not in playing)
        assert _first_round_clashes(kept, apart) <= _first_round_clashes(order, apart)
    if len(pairs) >= 2:
        assert _first_round_clashes(formats.keep_apart(order, matching), matching) == 0
